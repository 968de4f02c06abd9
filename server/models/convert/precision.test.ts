import { describe, expect, it } from "vitest";
import { DEFAULT_PRECISIONS, formatPrecisions, parseDtypeSpec } from "./precision";

describe("--dtype spec", () => {
  const base = DEFAULT_PRECISIONS.cpu;
  it("a bare precision sets every component; named components override it in any order", () => {
    expect(parseDtypeSpec("fp16", base)).toEqual({ dit: "fp16", lm: "fp16", "text-encoder": "fp16", vae: "fp16" });
    expect(parseDtypeSpec("lm=int4,bf16", base)).toEqual({
      dit: "bf16",
      lm: "int4",
      "text-encoder": "bf16",
      vae: "bf16",
    });
  });
  it("named components only change those; the rest keep the provider default; aliases work", () => {
    const p = parseDtypeSpec("dit=int8, text_encoder=int4 ,vae=fp16", base);
    expect(p).toEqual({ ...base, dit: "int8", "text-encoder": "int4", vae: "fp16" });
    expect(formatPrecisions(p)).toBe("dit=int8,vae=fp16,text-encoder=int4,lm=" + base.lm);
  });
  it("refuses unknown precisions and components, duplicates, empty entries and unsupported pairs with clear messages", () => {
    expect(() => parseDtypeSpec("int3", base)).toThrow(
      '--dtype: "int3" is not a precision (one of fp32, fp16, bf16, int8, int4)',
    );
    expect(() => parseDtypeSpec("dit=fp8", base)).toThrow('--dtype: dit="fp8" is not a precision');
    expect(() => parseDtypeSpec("unet=fp16", base)).toThrow(
      '--dtype: unknown component "unet" (one of dit, vae, text-encoder, lm)',
    );
    expect(() => parseDtypeSpec("lm=int8,lm=int4", base)).toThrow("--dtype: lm is given twice");
    expect(() => parseDtypeSpec("fp16,,lm=int8", base)).toThrow("--dtype: empty entry");
    expect(() => parseDtypeSpec("fp16,bf16", base)).toThrow("more than one bare precision");
    expect(() => parseDtypeSpec("int8", base)).toThrow(
      "--dtype: vae cannot be converted to int8 (supported: fp32, fp16, bf16)",
    );
    expect(parseDtypeSpec("int8,vae=bf16", base).vae).toBe("bf16");
  });
});
