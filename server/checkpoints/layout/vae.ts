// Key names and shapes of the official vae/ folder (diffusers AutoencoderOobleck,
// weight-normed convs stored as weight_g [out,1,1] / weight_v, Snake alpha/beta
// [1,C,1]), derived from its config.json. Ports diffusers' Oobleck modules:
//   encoder: conv1 (audio->ehs, k7) -> block.i {res_unit1..3 (in), snake1, conv1 (k=2*stride)} -> snake1 -> conv2 (k3 -> ehs)
//   decoder: conv1 (latent->dc*m[-1], k7) -> block.i {snake1, conv_t1 (ConvTranspose, k=2*stride), res_unit1..3 (out)} -> snake1 -> conv2 (k7, no bias)
//   residual unit: snake1, conv1 (k7, dilated), snake2, conv2 (k1)
// For ConvTranspose1d the weight is [in, out, k], so weight_g is [in, 1, 1].
import { z } from "zod";
import { CheckpointError } from "../dtypes";
import { type Layout, parseConfig, type Shape } from "./shapes";

const int = z.number().int().positive();

export const vaeConfigSchema = z.looseObject({
  encoder_hidden_size: int,
  audio_channels: int,
  downsampling_ratios: z.array(int).min(1),
  channel_multiples: z.array(int).min(1),
  decoder_channels: int,
  decoder_input_channels: int,
});
export type VaeConfig = z.infer<typeof vaeConfigSchema>;

export function vaeLayout(rawConfig: unknown): Layout {
  const c = parseConfig(vaeConfigSchema, rawConfig, "VAE");
  if (c.channel_multiples.length !== c.downsampling_ratios.length) {
    throw new CheckpointError(
      `layout: VAE config.json: channel_multiples (${c.channel_multiples.length}) and downsampling_ratios (${c.downsampling_ratios.length}) differ in length`,
    );
  }
  const required = new Map<string, Shape>();
  const add = (k: string, s: Shape) => required.set(k, s);
  const snake = (p: string, ch: number) => (add(`${p}.alpha`, [1, ch, 1]), add(`${p}.beta`, [1, ch, 1]));
  const conv = (p: string, out: number, inp: number, k: number, bias = true) => {
    add(`${p}.weight_g`, [out, 1, 1]);
    add(`${p}.weight_v`, [out, inp, k]);
    if (bias) add(`${p}.bias`, [out]);
  };
  const convT = (p: string, inp: number, out: number, k: number) => {
    add(`${p}.weight_g`, [inp, 1, 1]);
    add(`${p}.weight_v`, [inp, out, k]);
    add(`${p}.bias`, [out]);
  };
  const resUnit = (p: string, ch: number) => {
    snake(`${p}.snake1`, ch);
    conv(`${p}.conv1`, ch, ch, 7);
    snake(`${p}.snake2`, ch);
    conv(`${p}.conv2`, ch, ch, 1);
  };
  const m = [1, ...c.channel_multiples];
  const n = c.downsampling_ratios.length;

  const ehs = c.encoder_hidden_size;
  conv("encoder.conv1", ehs, c.audio_channels, 7);
  c.downsampling_ratios.forEach((stride, i) => {
    const p = `encoder.block.${i}`;
    const inp = ehs * m[i];
    for (const r of [1, 2, 3]) resUnit(`${p}.res_unit${r}`, inp);
    snake(`${p}.snake1`, inp);
    conv(`${p}.conv1`, ehs * m[i + 1], inp, 2 * stride);
  });
  snake("encoder.snake1", ehs * m[n]);
  conv("encoder.conv2", ehs, ehs * m[n], 3);

  const dc = c.decoder_channels;
  conv("decoder.conv1", dc * m[n], c.decoder_input_channels, 7);
  [...c.downsampling_ratios].reverse().forEach((stride, i) => {
    const p = `decoder.block.${i}`;
    const inp = dc * m[n - i];
    const out = dc * m[n - i - 1];
    snake(`${p}.snake1`, inp);
    convT(`${p}.conv_t1`, inp, out, 2 * stride);
    for (const r of [1, 2, 3]) resUnit(`${p}.res_unit${r}`, out);
  });
  snake("decoder.snake1", dc);
  conv("decoder.conv2", c.audio_channels, dc, 7, false);
  return { required, optional: new Map() };
}
