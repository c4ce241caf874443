"""Writes the small example datasets under recipes/data/ (32x32 PNG shapes with kohya-style .txt captions).

Stdlib only, deterministic: `python3 recipes/make_example_data.py` rewrites the same bytes.
"""
import os
import random
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
COLORS = {"red": (220, 40, 40), "blue": (40, 80, 220), "green": (40, 170, 60), "yellow": (230, 200, 40)}
BACKGROUNDS = {"white background": (245, 245, 245), "grey background": (120, 120, 120)}


def png(path, pixels, size):
    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in pixels)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def shape_image(shape, color, bg, radius, cx=16, cy=16, size=32):
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            dx, dy = x + 0.5 - cx, y + 0.5 - cy
            inside = dx * dx + dy * dy <= radius * radius if shape == "circle" else max(abs(dx), abs(dy)) <= radius
            row.append(COLORS[color] if inside else BACKGROUNDS[bg])
        rows.append(row)
    return rows


def write(folder, items):
    os.makedirs(folder, exist_ok=True)
    for name, (shape, color, bg, size_tag) in items.items():
        radius = 6 if size_tag == "small" else 12
        png(os.path.join(folder, name + ".png"), shape_image(shape, color, bg, radius), 32)
        with open(os.path.join(folder, name + ".txt"), "w") as f:
            f.write(f"{shape}, {color}, {size_tag}, {bg}\n")


def main():
    data = os.path.join(HERE, "data")
    # A and A': the same picture, only the size changed.
    write(os.path.join(data, "small-circle"), {"a": ("circle", "blue", "white background", "small")})
    write(os.path.join(data, "large-circle"), {"a": ("circle", "blue", "white background", "large")})
    # A shared look (grey background) to lock with a style bias, and a "character" on that look.
    write(os.path.join(data, "grey-look"), {f"look{i}": (s, c, "grey background", "small")
                                            for i, (s, c) in enumerate([("circle", "red"), ("square", "green"), ("square", "blue")])})
    write(os.path.join(data, "yellow-square"), {f"char{i}": ("square", "yellow", "grey background", sz)
                                                for i, sz in enumerate(["small", "large"])})
    # A tag list in the Danbooru-dump form: one post per line. Large shapes are mostly red.
    rng = random.Random(7)
    with open(os.path.join(data, "posts.txt"), "w") as f:
        for _ in range(400):
            size_tag = rng.choice(["small", "large"])
            color = "red" if size_tag == "large" and rng.random() < 0.8 else rng.choice(list(COLORS))
            tags = [rng.choice(["circle", "square", "triangle"]), color, size_tag, rng.choice(list(BACKGROUNDS))]
            f.write(", ".join(tags) + "\n")


if __name__ == "__main__":
    main()
