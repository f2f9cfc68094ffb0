"""DynamoDB Local's own write rate, without the product: how many device-sized items per second it stores in a
table shaped like the product's (pk/sk, the gsi1 index, a NEW_AND_OLD_IMAGES stream), written four ways with 16
client threads: one conditional PutItem per item (what reconciliation does), TransactWriteItems of 25 and of 100
conditional puts, and BatchWriteItem of 25 (unconditional). It bounds any local reconciliation's wall time.

    .local/venv/bin/python3 benches/scripts/ddb_local_writes.py PORT [ITEMS]

PORT: a DynamoDB Local port (scripts/services.sh start NAME prints it). Each way writes ITEMS (default 3000)
items into its own new table.
"""
import concurrent.futures as cf
import sys
import time

import boto3

port = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
c = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                 aws_access_key_id="local", aws_secret_access_key="local")


def table(name):
    c.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ["pk", "sk", "gsi1pk", "gsi1sk"]],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
            {"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def item(i):
    """A device record of the product's shape and size (about 700 bytes)."""
    s = lambda v: {"S": v}
    return {"pk": s("TENANT#bench"), "sk": s(f"DEVICE#{100000 + i}"), "gsi1pk": s(f"TENANT#bench#USER#00u{i:017}"),
            "gsi1sk": s(f"DEVICE#{100000 + i}"), "device_id": s(str(100000 + i)), "name": s(f"Device {i}"),
            "platform": s("ios"), "os_version": s("17.2"), "serial": s(f"SN{i:08}"),
            "owner_email": s(f"user{i}@acme.example"), "okta_user_id": s(f"00u{i:017}"), "in_scope": {"BOOL": True},
            "desired_payload_hash": s("a" * 64), "enrollment": s("other"), "owner_status": s("ACTIVE"),
            "owner_selected_groups": {"L": [s("00g00000000000000001")]}, "in_selected_device_group": {"BOOL": False},
            "updated_at": s("2026-11-29T10:00:00Z"), "version": {"N": "1"}}


def run(name, fn, work, workers=16):
    table(name)
    start = time.time()
    with cf.ThreadPoolExecutor(workers) as ex:
        list(ex.map(fn, work))
    secs = time.time() - start
    print(f"| {name} | {N} items | {secs:.2f} s | {N / secs:.0f} items/s |", flush=True)


def chunks(k):
    return [list(range(s, min(s + k, N))) for s in range(0, N, k)]


cond = "attribute_not_exists(pk)"
print("| way | items | wall time | rate |\n| --- | --- | --- | --- |")
run("put-conditional", lambda i: c.put_item(TableName="put-conditional", Item=item(i), ConditionExpression=cond),
    range(N))
run("transact-25", lambda ch: c.transact_write_items(TransactItems=[
    {"Put": {"TableName": "transact-25", "Item": item(i), "ConditionExpression": cond}} for i in ch]), chunks(25))
run("transact-100", lambda ch: c.transact_write_items(TransactItems=[
    {"Put": {"TableName": "transact-100", "Item": item(i), "ConditionExpression": cond}} for i in ch]), chunks(100), 4)
run("batch-25", lambda ch: c.batch_write_item(RequestItems={
    "batch-25": [{"PutRequest": {"Item": item(i)}} for i in ch]}), chunks(25))
