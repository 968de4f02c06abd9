// The model list: installed entries with component, variant and label; missing catalogue models with the
// commands that install them; demo folders listed as installed before their first use.
import { describe, expect, it } from "vitest";
import { buildModelList, MODEL_CATALOG, variantOf } from "./catalog";
import type { ManifestEntry } from "./convert/manifest";

const entry = (
  name: string,
  component: ManifestEntry["component"],
  config: Record<string, unknown> = {},
): ManifestEntry => ({
  name,
  component,
  dtype: "fp32",
  config,
  files: [],
  sourceFingerprint: "x",
  convertedAt: 0,
});

describe("buildModelList", () => {
  it("lists converted models with the editor's component names and variants, catalogue order first", () => {
    const list = buildModelList(
      [
        entry("my-finetune", "dit", { is_turbo: false, model_version: "sft" }),
        entry("Qwen3-Embedding-0.6B", "text-encoder"),
        entry("acestep-5Hz-lm-4B", "lm"),
        entry("acestep-v15-turbo", "dit", { is_turbo: true }),
      ],
      { modelsDir: "/m", demo: false },
    );
    expect(list.installed).toEqual([
      { component: "dit", name: "acestep-v15-turbo", label: "DiT turbo (8 steps)", demo: false, variant: "turbo" },
      { component: "lm", name: "acestep-5Hz-lm-4B", label: "5 Hz LM 4B", demo: false, variant: "4B" },
      {
        component: "textEncoder",
        name: "Qwen3-Embedding-0.6B",
        label: "Qwen3-Embedding-0.6B text encoder",
        demo: false,
      },
      { component: "dit", name: "my-finetune", label: "my-finetune", demo: false, variant: "sft" },
    ]);
    const names = list.missing.map((m) => m.name);
    expect(names).toContain("vae");
    expect(names).not.toContain("acestep-v15-turbo");
    expect(names.length + 3).toBe(MODEL_CATALOG.length);
  });

  it("says how to download and convert each missing model (sub-folder of the main repo or its own repo)", () => {
    const list = buildModelList([], { modelsDir: "/srv/models", demo: false });
    const how = (n: string) => list.missing.find((m) => m.name === n)!.howToInstall;
    expect(how("acestep-5Hz-lm-1.7B")).toBe(
      'huggingface-cli download ACE-Step/Ace-Step1.5 --include "acestep-5Hz-lm-1.7B/*" --local-dir checkpoints' +
        " && acestep models convert --from checkpoints --to /srv/models --only acestep-5Hz-lm-1.7B",
    );
    expect(how("acestep-v15-sft")).toMatch(
      /^huggingface-cli download ACE-Step\/acestep-v15-sft --local-dir checkpoints\/acestep-v15-sft && /,
    );
    expect(list.missing.find((m) => m.name === "acestep-v15-sft")).toMatchObject({
      component: "dit",
      label: "DiT SFT (50 steps, CFG)",
    });
  });

  it("in demo mode lists every demo folder as installed and tells how to switch to real models", () => {
    const demoNames = ["acestep-v15-turbo", "acestep-v15-sft", "acestep-5Hz-lm-1.7B", "acestep-5Hz-lm-4B"];
    const list = buildModelList([entry("acestep-v15-turbo", "dit", { is_turbo: true })], {
      modelsDir: "/d",
      demo: true,
      demoNames,
    });
    expect(list.installed.map((m) => [m.name, m.variant, m.demo])).toEqual([
      ["acestep-v15-turbo", "turbo", true],
      ["acestep-v15-sft", "sft", true],
      ["acestep-5Hz-lm-1.7B", "1.7B", true],
      ["acestep-5Hz-lm-4B", "4B", true],
    ]);
    expect(list.installed[1].label).toBe("DiT SFT (50 steps, CFG) (demo)");
    expect(list.missing.find((m) => m.name === "acestep-v15-turbo-shift3")!.howToInstall).toMatch(
      /ACESTEP_MODELS=models/,
    );
  });
});

describe("variantOf", () => {
  it("reads DiT variants from the config or the name and LM sizes from the name", () => {
    expect(variantOf("dit", "x", { is_turbo: true })).toBe("turbo");
    expect(variantOf("dit", "acestep-v15-base", { is_turbo: false, model_version: "base" })).toBe("base");
    expect(variantOf("dit", "acestep-v15-sft", { is_turbo: false })).toBe("sft");
    expect(variantOf("lm", "acestep-5Hz-lm-0.6B", {})).toBe("0.6B");
    expect(variantOf("lm", "custom-lm", {})).toBeUndefined();
    expect(variantOf("vae", "vae", {})).toBeUndefined();
  });
});
