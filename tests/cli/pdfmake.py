#!/usr/bin/env python3
"""pdfmake.py: writes the PDF files of test_pdfread.sh, with Python's standard library only.

Each file is a plain PDF 1.4 written object by object, with a correct cross-reference
table unless the case breaks it on purpose. Pages carry QR codes as images: the 1-bit
gray PNG files that `api-issuer issue` writes go in as they are (their IDAT data is a
FlateDecode stream with the PNG predictors, which PDF readers undo).

  pdfmake.py page OUT [--size WxH] [--qr PNG[@X,Y,SIDE]] ... [--text TEXT]
        one page of WxH points (A4 by default), with QR codes at X,Y (points from the
        bottom left) of SIDE points (45 mm by default), and a line of text (Helvetica)
  pdfmake.py pages OUT N [--qr-on K PNG] ...   N pages, a QR code on page K (repeatable)
  pdfmake.py huge OUT            a page of 100,000 x 100,000 points
  pdfmake.py endless OUT         a content stream that inflates to 256 MB of drawing
  pdfmake.py loop OUT            forms that draw forms: 10^9 rectangles from a few bytes
  pdfmake.py bomb OUT            an image and its soft mask of 32,000 x 32,000 pixels each (1 GB of
                                 gray each), from 2 MB
  pdfmake.py encrypted OUT       a page behind a user password (Standard security handler, R2)
  pdfmake.py truncate IN OUT N   the first N bytes of IN
"""
import os
import struct
import sys
import zlib

A4 = (595.28, 841.89)
MM = 72 / 25.4


class Pdf:
    def __init__(self):
        self.objs = []  # bytes of each object, numbered from 1

    def reserve(self):
        self.objs.append(None)
        return len(self.objs)

    def set(self, num, body):
        self.objs[num - 1] = body if isinstance(body, bytes) else body.encode("latin-1")

    def add(self, body):
        num = self.reserve()
        self.set(num, body)
        return num

    def stream(self, data, extra=""):
        return self.add(b"<< /Length %d %s >>\nstream\n" % (len(data), extra.encode()) + data + b"\nendstream")

    def write(self, path, root, trailer_extra=""):
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(self.objs, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objs) + 1)
        for off in offsets:
            out += b"%010d 00000 n \n" % off
        out += b"trailer\n<< /Size %d /Root %d 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(self.objs) + 1, root, trailer_extra.encode(), xref)
        with open(path, "wb") as f:
            f.write(out)


def png_image(pdf, path):
    """An image XObject from a non-interlaced gray PNG (1 or 8 bits); returns (num, width)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("pdfmake: %s is not a PNG file" % path)
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if color != 0 or interlace != 0 or depth not in (1, 8):
                sys.exit("pdfmake: %s: only non-interlaced gray PNG files" % path)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    parms = "/DecodeParms << /Predictor 15 /Colors 1 /BitsPerComponent %d /Columns %d >>" % (depth, w)
    extra = "/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray " \
            "/BitsPerComponent %d /Filter /FlateDecode %s" % (w, h, depth, parms)
    return pdf.stream(idat, extra)


def page_objects(pdf, pages_num, size, content, xobjects=None, font=None):
    res = ""
    if xobjects:
        res += "/XObject << %s >> " % " ".join("/%s %d 0 R" % (k, v) for k, v in xobjects.items())
    if font:
        res += "/Font << /F1 %d 0 R >> " % font
    return pdf.add("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources << %s>> /Contents %d 0 R >>"
                   % (pages_num, fmt(size[0]), fmt(size[1]), res, content))


def fmt(v):
    return ("%.2f" % v).rstrip("0").rstrip(".")


def catalog(pdf, kids, pages_num):
    pdf.set(pages_num, "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join("%d 0 R" % k for k in kids), len(kids)))
    return pdf.add("<< /Type /Catalog /Pages %d 0 R >>" % pages_num)


def qr_spec(spec, size, index):
    """PNG[@X,Y,SIDE] -> (png, x, y, side); by default codes go side by side from the top left."""
    side = 45 * MM
    if "@" in spec:
        png, where = spec.split("@", 1)
        x, y, side = (float(v) for v in where.split(","))
    else:
        png = spec
        x = 40 + index * (side + 30)
        y = size[1] - 80 - side
    return png, x, y, side


def cmd_page(out, args):
    size, qrs, text = A4, [], None
    i = 0
    while i < len(args):
        if args[i] == "--size":
            w, h = args[i + 1].split("x")
            size = (float(w), float(h))
        elif args[i] == "--qr":
            qrs.append(args[i + 1])
        elif args[i] == "--text":
            text = args[i + 1]
        i += 2
    pdf = Pdf()
    pages_num = pdf.reserve()
    xo, ops = {}, []
    for n, spec in enumerate(qrs):
        png, x, y, side = qr_spec(spec, size, n)
        xo["Q%d" % n] = png_image(pdf, png)
        ops.append("q %s 0 0 %s %s %s cm /Q%d Do Q" % (fmt(side), fmt(side), fmt(x), fmt(y), n))
    font = None
    if text is not None:
        font = pdf.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        ops.append("BT /F1 12 Tf 40 40 Td (%s) Tj ET" % text.replace("(", "").replace(")", ""))
    content = pdf.stream("\n".join(ops).encode())
    page = page_objects(pdf, pages_num, size, content, xo, font)
    pdf.write(out, catalog(pdf, [page], pages_num))


def cmd_pages(out, args):
    n = int(args[0])
    on = {}
    i = 1
    while i < len(args):
        if args[i] == "--qr-on":
            on.setdefault(int(args[i + 1]), []).append(args[i + 2])
            i += 3
        else:
            i += 1
    pdf = Pdf()
    pages_num = pdf.reserve()
    font = pdf.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    blank = pdf.stream(b"BT /F1 12 Tf 40 800 Td (Page sans code) Tj ET")
    kids = []
    for k in range(1, n + 1):
        if k in on:
            xo, ops = {}, []
            for j, png in enumerate(on[k]):
                _, x, y, side = qr_spec(png, A4, j)
                xo["Q%d" % j] = png_image(pdf, png)
                ops.append("q %s 0 0 %s %s %s cm /Q%d Do Q" % (fmt(side), fmt(side), fmt(x), fmt(y), j))
            kids.append(page_objects(pdf, pages_num, A4, pdf.stream("\n".join(ops).encode()), xo, font))
        else:
            kids.append(page_objects(pdf, pages_num, A4, blank, None, font))
    pdf.write(out, catalog(pdf, kids, pages_num))


def single_page(out, content_num_fn, size=A4, xobjects_fn=None):
    pdf = Pdf()
    pages_num = pdf.reserve()
    content = content_num_fn(pdf)
    xo = xobjects_fn(pdf) if xobjects_fn else None
    page = page_objects(pdf, pages_num, size, content, xo)
    pdf.write(out, catalog(pdf, [page], pages_num))


def cmd_huge(out, _):
    single_page(out, lambda p: p.stream(b"0 0 0 rg 10 10 100 100 re f"), size=(100000, 100000))


def cmd_endless(out, _):
    chunk = b"0 0 0 rg 100 100 300 300 re f 1 1 1 rg 120 120 260 260 re f\n" * 16384
    z = zlib.compressobj(9)
    data = bytearray()
    total = 0
    while total < 256 << 20:
        data += z.compress(chunk)
        total += len(chunk)
    data += z.flush()
    single_page(out, lambda p: p.stream(bytes(data), "/Filter /FlateDecode"))


def cmd_loop(out, _):
    def forms(pdf):
        # F0 fills a rectangle; F(k) draws F(k-1) ten times: F9 is 10^9 fills.
        prev = pdf.stream(b"0 0 1 1 re f", "/Type /XObject /Subtype /Form /BBox [0 0 600 850]")
        for _ in range(9):
            body = " ".join("q 1 0 0 1 %d 0 cm /F Do Q" % i for i in range(10)).encode()
            prev = pdf.stream(body, "/Type /XObject /Subtype /Form /BBox [0 0 600 850] "
                                    "/Resources << /XObject << /F %d 0 R >> >>" % prev)
        return {"F": prev}
    single_page(out, lambda p: p.stream(b"/F Do"), xobjects_fn=forms)


def cmd_bomb(out, _):
    # An image and its soft mask, each 32,000 x 32,000 gray pixels inflated from 1 MB: a
    # reader that draws the masked image holds both in memory at full size.
    side = 32000
    z = zlib.compressobj(9)
    row = b"\x80" * side
    data = bytearray()
    for _ in range(side):
        data += z.compress(row)
    data += z.flush()
    head = "/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray " \
           "/BitsPerComponent 8 /Filter /FlateDecode" % (side, side)

    def image(pdf):
        mask = pdf.stream(bytes(data), head)
        return {"I": pdf.stream(bytes(data), head + " /SMask %d 0 R" % mask)}
    single_page(out, lambda p: p.stream(b"q 500 0 0 700 40 60 cm /I Do Q"), xobjects_fn=image)


def cmd_encrypted(out, _):
    # The Standard security handler, revision 2: opening needs the user password, which is
    # not empty here (its check value /U is random), so no reader opens it without one.
    pdf = Pdf()
    pages_num = pdf.reserve()
    content = pdf.stream(os.urandom(64))
    page = page_objects(pdf, pages_num, A4, content)
    root = catalog(pdf, [page], pages_num)
    enc = pdf.add("<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -44 >>"
                  % (os.urandom(32).hex(), os.urandom(32).hex()))
    file_id = os.urandom(16).hex()
    pdf.write(out, root, "/Encrypt %d 0 R /ID [<%s> <%s>]" % (enc, file_id, file_id))


def cmd_truncate(_, args):
    src, dst, n = args[0], args[1], int(args[2])
    with open(src, "rb") as f:
        data = f.read(n)
    with open(dst, "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, out, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    table = {"page": cmd_page, "pages": cmd_pages, "huge": cmd_huge, "endless": cmd_endless, "loop": cmd_loop,
             "bomb": cmd_bomb, "encrypted": cmd_encrypted}
    if cmd == "truncate":
        cmd_truncate(None, sys.argv[2:])
    elif cmd in table:
        table[cmd](out, args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
