import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { bannerError, changedMeanwhile, fieldError } from "./common";

describe("API errors go where they belong", () => {
  const nested = new ApiError(400, "invalid_input", "the challenge URL must be https", "challenge.challengeUrl");
  it("shows an error on the field it names, or on a field it is under", () => {
    expect(fieldError(nested, "challenge.challengeUrl")).toBe("the challenge URL must be https");
    expect(fieldError(nested, "challenge")).toBe("the challenge URL must be https");
    expect(fieldError(nested, "chall")).toBeUndefined();
    expect(fieldError(new ApiError(400, "x", "m", "emails[2]"), "emails")).toBe("m");
  });
  it("puts an error no form field shows in the banner", () => {
    expect(bannerError(nested, ["scepUrl", "challenge"])).toBeUndefined();
    expect(bannerError(nested, ["scepUrl"])).toBe(nested);
    const conflict = new ApiError(409, "version_conflict", "changed meanwhile");
    expect(bannerError(conflict, ["scepUrl"])).toBe(conflict);
    expect(bannerError(new Error("network"), [])?.message).toBe("network");
  });
  it("offers a reload only when another request changed the record", () => {
    expect(changedMeanwhile(new ApiError(409, "version_conflict", "changed meanwhile"))).toBe(true);
    expect(changedMeanwhile(new ApiError(409, "device_trust_not_configured", "choose the org first"))).toBe(false);
    expect(changedMeanwhile(new ApiError(400, "version_conflict", "x"))).toBe(false);
  });
});
