// pdfmake.mjs: small PDF documents for the browser tests, made here so that
// the tests do not depend on the issuer's PDF: A4 pages with a line of text
// (Helvetica, not embedded) and QR codes drawn as vector squares, as a PDF
// writer draws them. A code is {text, x, y, mm} (x, y of its top left corner
// in mm from the top left of the page; mm its width without the quiet zone).
// An item {jpeg: Buffer, width, height} instead is a photo filling the page,
// as a scanner or a phone app makes a PDF of a photographed page.
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
  const objs = []; // bodies (strings, or Buffers for binary streams), object n at index n - 1
  const add = (body) => {
    objs.push(body);
    return objs.length;
  };
  const catalog = add(null);
  const pagesObj = add(null);
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids = [];
  pages.forEach((items, i) => {
    const esc = (s) => s.replace(/[\\()]/g, (c) => `\\${c}`);
    const images = [];
    const ops = items.map((it) => {
      if (!it.jpeg) return codeOps(it);
      const head = `<< /Type /XObject /Subtype /Image /Width ${it.width} /Height ${it.height} /ColorSpace /DeviceRGB ` +
        `/BitsPerComponent 8 /Filter /DCTDecode /Length ${it.jpeg.length} >>\nstream\n`;
      const n = add(Buffer.concat([Buffer.from(head, 'latin1'), it.jpeg, Buffer.from('\nendstream', 'latin1')]));
      images.push(`/Im${n} ${n} 0 R`);
      const scale = Math.min(A4[0] / it.width, A4[1] / it.height);
      return `q ${(it.width * scale).toFixed(2)} 0 0 ${(it.height * scale).toFixed(2)} 0 ${(A4[1] - it.height * scale).toFixed(2)} cm /Im${n} Do Q`;
    });
    const content = [...ops, `BT /F1 14 Tf 56 ${(A4[1] - 56).toFixed(2)} Td (${esc(title)} - Page ${i + 1}) Tj ET`].join('\n');
    const stream = add(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`);
    const xo = images.length ? ` /XObject << ${images.join(' ')} >>` : '';
    kids.push(add(`<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 ${A4[0]} ${A4[1]}] ` +
      `/Resources << /Font << /F1 ${font} 0 R >>${xo} >> /Contents ${stream} 0 R >>`));
  });
  objs[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`;
  objs[pagesObj - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  const parts = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let size = parts[0].length;
  const put = (b) => {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1');
    parts.push(buf);
    size += buf.length;
  };
  const offsets = [];
  objs.forEach((body, i) => {
    offsets.push(size);
    put(`${i + 1} 0 obj\n`);
    put(body);
    put('\nendobj\n');
  });
  const xref = size;
  let tail = `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) tail += `${String(o).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size ${objs.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  put(tail);
  return Buffer.concat(parts);
}
