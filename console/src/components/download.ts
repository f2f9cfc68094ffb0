import type { Schemas } from "../api/client";

/** The file of a finished export as a Blob: the inline copy when the API sent one (CSV text, PDF base64). */
export function exportBlob(x: Schemas["ExportView"]): Blob | undefined {
  if (!x.inline) return undefined;
  if (x.format === "pdf") {
    const bin = atob(x.inline);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type: "application/pdf" });
  }
  return new Blob([x.inline], { type: "text/csv;charset=utf-8" });
}

/** Saves a finished export: the inline copy as a file, else through its presigned link. */
export function saveExport(x: Schemas["ExportView"]): void {
  const blob = exportBlob(x);
  const a = document.createElement("a");
  a.download = `device-trust-status-${x.id}.${x.format}`;
  a.rel = "noopener";
  a.href = blob ? URL.createObjectURL(blob) : x.url;
  document.body.appendChild(a);
  a.click();
  a.remove();
  if (blob) setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
