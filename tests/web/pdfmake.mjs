// pdfmake.mjs: small PDF documents for the browser tests, made here so that
// the tests do not depend on the issuer's PDF: A4 pages with a line of text
// (Helvetica, not embedded) and QR codes drawn as vector squares, as a PDF
// writer draws them. A code is {text, x, y, mm} (x, y of its top left corner
// in mm from the top left of the page; mm its width without the quiet zone).
//
//   makePdf([[{text: 'API1:…', x: 20, y: 40, mm: 45}], [...]], {title}) -> Buffer
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './federation.mjs';

const require = createRequire(path.join(ROOT, 'web', 'package.json'));
const qrcode = require('qrcode-generator');

const PT = 72 / 25.4; // points per mm
const A4 = [595.28, 841.89];

/** The modules of a QR code (level M; alphanumeric mode when the text allows it, as the issuer writes it). */
export function qrModules(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text, /^[0-9A-Z $%*+\-./:]*$/.test(text) ? 'Alphanumeric' : 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const rows = [];
  for (let r = 0; r < n; r++) {
    const row = [];
    for (let c = 0; c < n; c++) row.push(qr.isDark(r, c));
    rows.push(row);
  }
  return rows;
}

function codeOps({ text, x, y, mm }) {
  const m = qrModules(text);
  const n = m.length;
  const unit = (mm * PT) / n;
  const left = x * PT;
  const top = A4[1] - y * PT;
  const ops = ['q 0 0 0 rg'];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!m[r][c]) continue;
      let run = 1; // one rectangle per run of dark modules in a row
      while (c + run < n && m[r][c + run]) run++;
      ops.push(`${(left + c * unit).toFixed(3)} ${(top - (r + 1) * unit).toFixed(3)} ${(run * unit).toFixed(3)} ${unit.toFixed(3)} re`);
      c += run - 1;
    }
  }
  ops.push('f Q');
  return ops.join('\n');
}

/** A PDF of pages, each a list of codes, with "Page N" and the title written on it. */
export function makePdf(pages, { title = 'Attestation' } = {}) {
  const objs = []; // bodies, object n at index n - 1
  const add = (body) => {
    objs.push(body);
    return objs.length;
  };
  const catalog = add(null);
  const pagesObj = add(null);
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids = [];
  pages.forEach((codes, i) => {
    const esc = (s) => s.replace(/[\\()]/g, (c) => `\\${c}`);
    const content = [`BT /F1 14 Tf 56 ${(A4[1] - 56).toFixed(2)} Td (${esc(title)} - Page ${i + 1}) Tj ET`,
      ...codes.map(codeOps)].join('\n');
    const stream = add(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`);
    kids.push(add(`<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 ${A4[0]} ${A4[1]}] ` +
      `/Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${stream} 0 R >>`));
  });
  objs[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`;
  objs[pagesObj - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  let out = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets = [];
  objs.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
