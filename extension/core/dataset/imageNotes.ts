// What is converted when an image is decoded for training (the engine decodes as the scan does: see
// engine/lorabias_engine/decode.py), and a file whose content is not the format its name says.
import { misnamedFormat, type Inspected } from './images';
import type { ProblemCode, Severity } from './types';

export function imageNotes(ins: Extract<Inspected, { ok: true }>, ext: string): [ProblemCode, Severity, string][] {
  const notes: [ProblemCode, Severity, string][] = [];
  if (ins.bits > 8) notes.push(['converted', 'info', `is a ${ins.bits}-bit image: it is trained as 8-bit sRGB, as every Stable Diffusion trainer does.`]);
  if (ins.space === 'cmyk') notes.push(['converted', 'warning', 'is a CMYK image: it is converted to sRGB with its embedded colour profile for training; other trainers may convert it differently. Save it as sRGB to be sure of its colours.']);
  const wrong = misnamedFormat(ins.format, ext);
  if (wrong) notes.push(['wrong-extension', 'warning', `is a ${wrong.toUpperCase()} file named ${ext}: lorabias reads it by its content, but other tools go by the name. Rename it to .${wrong === 'jpeg' ? 'jpg' : wrong === 'heif' ? 'avif' : wrong}.`]);
  return notes;
}
