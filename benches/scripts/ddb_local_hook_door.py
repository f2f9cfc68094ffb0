"""DynamoDB Local's cost for the event hook door, three ways, without the product: per delivery the GetItem of
the hook record plus the conditional PutItem of the inbox record (the fifth session's door), one
TransactWriteItems of a ConditionCheck on the hook record and the Put (the alternative it proposed), and the
conditional PutItem alone (the door with the hook record kept warm). 16 client threads, 6 KB inbox items, a
table with a NEW_AND_OLD_IMAGES stream; prints wall time and DynamoDB Local's own CPU (from /proc) per delivery,
each way twice.

    .local/venv/bin/python3 benches/scripts/ddb_local_hook_door.py PORT [DELIVERIES]

PORT: a DynamoDB Local port (scripts/services.sh start NAME prints it). DELIVERIES defaults to 1500.
"""
import concurrent.futures as cf, sys, time, os, subprocess
import boto3
port = sys.argv[1]; N = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
c = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                 aws_access_key_id="local", aws_secret_access_key="local")
pid = subprocess.check_output(["bash","-c",f"ss -ltnp | grep :{port} | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2"]).decode().strip()
def cpu():
    f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def table(name):
    c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ["pk", "sk"]],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    c.put_item(TableName=name, Item={"pk":{"S":"TENANT#t"},"sk":{"S":"HOOK"},"version":{"N":"3"},"secret":{"M":{"name":{"S":"odt/t/hook/secret"},"version_id":{"S":"abc"}}}})
ev = "x"*6000
def inbox(i): return {"pk":{"S":"TENANT#t"},"sk":{"S":f"HOOKINBOX#{i:032}#0"},"events":{"S":ev},"received_at":{"S":"2026"},"expires_at":{"N":"1"}}
def two(name):
    def f(i):
        c.get_item(TableName=name, Key={"pk":{"S":"TENANT#t"},"sk":{"S":"HOOK"}})
        c.put_item(TableName=name, Item=inbox(i), ConditionExpression="attribute_not_exists(pk)")
    return f
def tx(name):
    def f(i):
        c.transact_write_items(TransactItems=[
          {"ConditionCheck":{"TableName":name,"Key":{"pk":{"S":"TENANT#t"},"sk":{"S":"HOOK"}},"ConditionExpression":"version = :v","ExpressionAttributeValues":{":v":{"N":"3"}}}},
          {"Put":{"TableName":name,"Item":inbox(i),"ConditionExpression":"attribute_not_exists(pk)"}}])
    return f
def one(name):
    def f(i):
        c.put_item(TableName=name, Item=inbox(i), ConditionExpression="attribute_not_exists(pk)")
    return f
for rep in range(2):
  for nm, mk in [("two", two), ("tx", tx), ("one", one)]:
    name = f"{nm}{rep}"; table(name); fn = mk(name)
    c0 = cpu(); t0 = time.time()
    with cf.ThreadPoolExecutor(16) as ex: list(ex.map(fn, range(N)))
    print(nm, f"{(time.time()-t0)/N*1000:.2f} ms wall/delivery", f"{(cpu()-c0)/N*1000:.2f} ms ddb cpu/delivery", flush=True)
