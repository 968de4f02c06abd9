// Param constructors: zod schemas carrying defaults, ranges, descriptions and UI hints.
// The validator, the engine, the editor widgets, the CLI and the docs all read these.
import { z } from "zod";

import type { ModelComponent } from "../server/models/catalog";

/** A model-name param: the editor offers the installed models of `component` (models.list). */
export interface ModelWidgetHint {
  widget: "model";
  component: ModelComponent;
}

export type UiHint =
  "number" | "slider" | "textarea" | "text" | "select" | "seed" | "toggle" | "file" | ModelWidgetHint;

interface Common {
  description: string;
  title?: string;
  /** Advanced params are folded away in the editor. */
  advanced?: boolean;
}

/** Largest seed value (upstream seeds are 32-bit). -1 means "random". */
export const MAX_SEED = 2 ** 32 - 1;

export const param = {
  int(o: Common & { default: number; min?: number; max?: number; step?: number; ui?: "number" | "slider" }) {
    let s = z.number().int();
    if (o.min !== undefined) s = s.min(o.min);
    if (o.max !== undefined) s = s.max(o.max);
    return s.default(o.default).meta({
      description: o.description,
      title: o.title,
      ui: o.ui ?? "number",
      step: o.step ?? 1,
      advanced: o.advanced,
    });
  },
  float(o: Common & { default: number; min?: number; max?: number; step?: number; ui?: "number" | "slider" }) {
    let s = z.number();
    if (o.min !== undefined) s = s.min(o.min);
    if (o.max !== undefined) s = s.max(o.max);
    return s
      .default(o.default)
      .meta({ description: o.description, title: o.title, ui: o.ui ?? "number", step: o.step, advanced: o.advanced });
  },
  string(o: Common & { default: string; maxLength?: number; multiline?: boolean; ui?: "text" | "textarea" | "file" }) {
    return z
      .string()
      .max(o.maxLength ?? 20_000)
      .default(o.default)
      .meta({
        description: o.description,
        title: o.title,
        ui: o.ui ?? (o.multiline ? "textarea" : "text"),
        advanced: o.advanced,
      });
  },
  /** `choices`: the values the editor offers, when fewer than the accepted ones (e.g. one spelling each). */
  enum<const T extends readonly [string, ...string[]]>(
    values: T,
    o: Common & { default: T[number]; choices?: readonly T[number][] },
  ) {
    return z
      .enum(values)
      .default(o.default as never)
      .meta({
        description: o.description,
        title: o.title,
        ui: "select",
        advanced: o.advanced,
        ...(o.choices ? { choices: [...o.choices] } : {}),
      });
  },
  boolean(o: Common & { default: boolean }) {
    return z
      .boolean()
      .default(o.default)
      .meta({ description: o.description, title: o.title, ui: "toggle", advanced: o.advanced });
  },
  /** A model folder name; empty = the default model of the component. */
  model(o: Common & { component: ModelComponent }) {
    const ui: ModelWidgetHint = { widget: "model", component: o.component };
    return z
      .string()
      .max(200)
      .default("")
      .meta({ description: o.description, title: o.title, ui, advanced: o.advanced });
  },
  /** A seed: -1 is resolved to a concrete random seed by the engine before caching. */
  seed(o: Common & { default?: number }) {
    return z
      .number()
      .int()
      .min(-1)
      .max(MAX_SEED)
      .default(o.default ?? -1)
      .meta({ description: o.description, title: o.title, ui: "seed", advanced: o.advanced });
  },
};

/** Reads the UI hint of a param schema (undefined when none was set). */
export function uiHintOf(schema: z.ZodType): UiHint | undefined {
  const meta = schema.meta() as { ui?: UiHint } | undefined;
  return meta?.ui;
}
