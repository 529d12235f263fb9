#!/usr/bin/env python3
"""gen_photos.py: phone photos of a printed attestation page, seeded and reproducible.

    tests/photos/gen_photos.py --out DIR --count N --seed S --qr-text FILE [FILE...]
                               [--start K] [--jobs J] [--size WxH]

Each FILE is a QR text written by `api-issuer issue` (OUT/<id>.txt); the code
drawn on the page is the PNG beside it (OUT/<id>.png, the issuer's own
rendering), so the photos carry real attestations. Photo i uses
FILE[i % len(FILES)].

It writes DIR/photo-NNN.jpg (NNN from 000; --start K numbers from K and draws
the same photos as a larger set would; --size WxH makes every photo exactly
that size, the scene scaled to fit, for timings) and DIR/manifest.json:

    {"seed": S, "photos": [{"file": "photo-000.jpg", "qr": "API1:...",
      "width": W, "height": H, "page_width": P, "rotation": deg,
      "perspective": p, "quality": q, "blur": r, "light": l, "gradient": g,
      "noise": n, "qr_mm": mm, "module_px": m}, ...]}

What a photo is: an A4 page (210 x 297 mm, paper a little off-white) with a
title, lines of text and a version-14/15 code 45-50 mm wide, as the printed
attestation has, photographed on a table: the page 1,000-2,500 px wide in the
picture, turned by up to 25 degrees either way, a mild perspective (each
corner moved by up to 4 % of the page width), slightly out of focus
(Gaussian blur up to 1.5 px, never more than 0.45 module), dim or uneven light
(gain 0.35-1.0, a linear gradient up to 55 %, a vignette), sensor noise, a
colour cast, and JPEG quality 40-85. Photo i depends only on (S, i) and the
QR texts: the same command writes the same files (with the same Pillow and
libjpeg).

Needs Pillow and numpy (Debian python3-pil, python3-numpy); when the python3
first on PATH lacks them, the script runs itself again with /usr/bin/python3.
"""
import argparse
import json
import math
import os
import random
import sys

try:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("gen_photos.py: needs Pillow and numpy (apt-get install python3-pil python3-numpy)")

A4_W_MM, A4_H_MM = 210.0, 297.0
FONT_DIR = "/usr/share/fonts/truetype/dejavu"

WORDS = ("préfecture attestation prolongation instruction demande titre séjour "
         "renouvellement salarié pluriannuelle délivrée date valable jusqu'au "
         "ressortissant nationalité autorisé travailler vérifier code présent "
         "document numéro étranger dépôt dossier cours examen").split()


def font(size, bold=False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(os.path.join(FONT_DIR, name), max(6, int(size)))
    except OSError:
        return ImageFont.load_default()


def qr_modules(png_path):
    """The issuer's PNG as a 0/255 array of one pixel per module, quiet zone included."""
    img = np.asarray(Image.open(png_path).convert("L"))
    dark = img < 128
    rows = np.where(dark.any(axis=1))[0]
    # The module size: the width of the first dark run of the first dark row (a finder's edge, 7 modules).
    r0 = rows[0]
    cols = np.where(dark[r0])[0]
    run = 1
    while run < len(cols) and cols[run] == cols[0] + run:
        run += 1
    mod = max(1, run // 7)
    n = img.shape[0] // mod
    return np.where(dark[mod // 2::mod, mod // 2::mod][:n, :n], 0, 255).astype(np.uint8)


def draw_page(rng, page_w, qr, qr_mm):
    """The printed page, page_w px wide, gray; returns it and the code's size in px."""
    page_h = int(round(page_w * A4_H_MM / A4_W_MM))
    mm = page_w / A4_W_MM
    paper = rng.randint(228, 252)
    page = Image.new("L", (page_w, page_h), paper)
    d = ImageDraw.Draw(page)
    ink = rng.randint(10, 45)
    margin = 18 * mm
    y = 16 * mm
    d.text((margin, y), "RÉPUBLIQUE FRANÇAISE", fill=ink, font=font(4.2 * mm, True))
    y += 9 * mm
    d.text((margin, y), "Attestation de prolongation d'instruction", fill=ink, font=font(5.5 * mm, True))
    y += 12 * mm
    body = font(3.3 * mm)
    # The code: 45-50 mm including its quiet zone, at one of the places a form would put it.
    qr_px = int(round(qr_mm * mm))
    place = rng.choice(("bottom-right", "bottom-center", "middle-right", "bottom-left"))
    qx = {"bottom-right": page_w - margin - qr_px, "bottom-center": (page_w - qr_px) // 2,
          "middle-right": page_w - margin - qr_px, "bottom-left": margin}[place]
    qy = {"bottom-right": page_h - 30 * mm - qr_px, "bottom-center": page_h - 28 * mm - qr_px,
          "middle-right": 120 * mm, "bottom-left": page_h - 30 * mm - qr_px}[place]
    qx, qy = int(qx), int(qy)
    while y < page_h - 22 * mm:
        if qy - 3 * mm < y + 4 * mm and y < qy + qr_px + 3 * mm and place != "bottom-center":
            right = qx - 6 * mm if place != "bottom-left" else page_w - margin
            left = margin if place != "bottom-left" else qx + qr_px + 6 * mm
        elif qy - 3 * mm < y + 4 * mm and y < qy + qr_px + 3 * mm:
            y += 6 * mm
            continue
        else:
            left, right = margin, page_w - margin
        line = []
        while True:
            w = rng.choice(WORDS)
            if d.textlength(" ".join(line + [w]), font=body) > right - left:
                break
            line.append(w)
        if rng.random() < 0.15:
            line = line[: max(1, len(line) // 2)]
            y += 2 * mm
        d.text((left, y), " ".join(line), fill=ink, font=body)
        y += 5.5 * mm
    mods = qr_modules(qr)
    code = Image.fromarray(mods).resize((qr_px, qr_px), Image.BOX)  # ink spread over a module's area
    if ink > 0:
        code = code.point(lambda v: ink + (paper - ink) * v // 255)
    page.paste(code, (qx, qy))
    return page, qr_px, qr_px / mods.shape[0]


def perspective_coeffs(dst, src):
    """PIL's PERSPECTIVE data: maps output (photo) points dst[i] to input (page) points src[i]."""
    a = []
    b = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64)).tolist()


def make_photo(seed, i, qr_png, size=None):
    rng = random.Random(seed * 1_000_003 + i)
    page_w = rng.randint(1000, 2500)
    qr_mm = rng.uniform(45.0, 50.0)
    rotation = rng.uniform(-25.0, 25.0)
    persp = rng.uniform(0.0, 0.04)
    page, qr_px, module_px = draw_page(rng, page_w, qr_png, qr_mm)
    pw, ph = page.size

    # The page's corners in the photo: turned about the centre, each moved a little (perspective).
    th = math.radians(rotation)
    c, s = math.cos(th), math.sin(th)
    half = [(-pw / 2, -ph / 2), (pw / 2, -ph / 2), (pw / 2, ph / 2), (-pw / 2, ph / 2)]
    pts = []
    for (x, y) in half:
        jx = rng.uniform(-persp, persp) * pw
        jy = rng.uniform(-persp, persp) * pw
        pts.append((x * c - y * s + jx, x * s + y * c + jy))
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    mx = rng.uniform(0.02, 0.08) * pw
    my = rng.uniform(0.02, 0.08) * pw
    W = int(max(xs) - min(xs) + 2 * mx)
    H = int(max(ys) - min(ys) + 2 * my)
    dst = [(x - min(xs) + mx, y - min(ys) + my) for (x, y) in pts]
    src = [(0, 0), (pw, 0), (pw, ph), (0, ph)]
    coeffs = perspective_coeffs(dst, src)

    # The page on the table.
    table = rng.randint(40, 150)
    photo = page.transform((W, H), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=table)
    if size:  # a photo of exactly this size: the scene scaled to fit, the table around it
        f = min(size[0] / W, size[1] / H)
        scene = photo.resize((max(1, round(W * f)), max(1, round(H * f))), Image.BICUBIC)
        W, H = size
        photo = Image.new("L", (W, H), table)
        photo.paste(scene, ((W - scene.size[0]) // 2, (H - scene.size[1]) // 2))
        pw, module_px = round(pw * f), module_px * f

    # Focus: a blur that stays below half a module (a code that is a gray smear is unreadable to anyone).
    blur = min(rng.uniform(0.0, 1.5), 0.45 * module_px)
    if blur > 0.05:
        photo = photo.filter(ImageFilter.GaussianBlur(blur))

    # Light: a gain, a linear gradient in a random direction, a vignette (smooth: computed on a
    # coarse grid and enlarged); then sensor noise and a colour cast.
    light = rng.uniform(0.35, 1.0)
    grad = rng.uniform(0.0, 0.55)
    ang = rng.uniform(0, 2 * math.pi)
    vignette = rng.uniform(0.0, 0.3)
    noise = rng.uniform(1.5, 7.0)
    gw, gh = W // 16 + 2, H // 16 + 2
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
    u = (xx / gw - 0.5) * math.cos(ang) + (yy / gh - 0.5) * math.sin(ang)  # -0.7..0.7
    coarse = light * (1.0 - grad * (u + 0.7) / 1.4)
    coarse *= 1.0 - vignette * ((xx / gw - 0.5) ** 2 + (yy / gh - 0.5) ** 2) / 0.5
    gain = np.asarray(Image.fromarray(coarse.astype(np.float32), "F").resize((W, H), Image.BILINEAR))
    nrng = np.random.default_rng(seed * 1_000_003 + i)
    g = np.asarray(photo, dtype=np.float32) * gain
    g += nrng.standard_normal(size=g.shape, dtype=np.float32) * np.float32(noise)
    gray = Image.fromarray(np.clip(g, 0, 255).astype(np.uint8), "L")
    cast = [rng.uniform(0.9, 1.08), 1.0, rng.uniform(0.82, 1.02)]
    rgb = Image.merge("RGB", [gray.point(lambda v, k=k: min(255, int(v * k + 0.5))) for k in cast])
    quality = rng.randint(40, 85)
    meta = {"width": W, "height": H, "page_width": pw, "rotation": round(rotation, 2),
            "perspective": round(persp, 4), "quality": quality, "blur": round(blur, 3),
            "light": round(light, 3), "gradient": round(grad, 3), "noise": round(noise, 2),
            "qr_mm": round(qr_mm, 2), "module_px": round(module_px, 3)}
    return rgb, quality, meta


def one(job):
    seed, i, out, txt, size = job
    with open(txt, encoding="ascii") as f:
        text = f.read().strip()
    png = os.path.splitext(txt)[0] + ".png"
    img, quality, meta = make_photo(seed, i, png, size)
    name = f"photo-{i:03d}.jpg"
    img.save(os.path.join(out, name), "JPEG", quality=quality)
    return dict({"file": name, "qr": text}, **meta)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--size", metavar="WxH", help="every photo exactly W x H px (the scene scaled to fit)")
    ap.add_argument("--qr-text", nargs="+", required=True, metavar="FILE")
    a = ap.parse_args()
    for t in a.qr_text:
        if not os.path.exists(os.path.splitext(t)[0] + ".png"):
            sys.exit(f"gen_photos.py: {t}: no PNG beside it (api-issuer issue --formats png)")
    os.makedirs(a.out, exist_ok=True)
    size = tuple(int(v) for v in a.size.lower().split("x")) if a.size else None
    jobs = [(a.seed, i, a.out, a.qr_text[i % len(a.qr_text)], size) for i in range(a.start, a.start + a.count)]
    if a.jobs > 1 and len(jobs) > 1:
        import multiprocessing
        with multiprocessing.Pool(a.jobs) as pool:
            photos = pool.map(one, jobs, chunksize=1)
    else:
        photos = [one(j) for j in jobs]
    with open(os.path.join(a.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"seed": a.seed, "photos": photos}, f, indent=1)
        f.write("\n")
    print(f"gen_photos.py: {len(photos)} photos in {a.out}")


if __name__ == "__main__":
    main()
