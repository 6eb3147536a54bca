"""Pictures for the demo content, drawn with Pillow at run time.

Header photos are abstract compositions (skylines, ridges, maps, harbours,
wind farms, networks, civic buildings) in a handful of palettes; portraits are
initials on colour and logos are monograms. Each drawing is deterministic for
its seed, and each comes with alt text that describes what was actually drawn,
built from the same choices that drew it.
"""

import io
import itertools
import math
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]

# Shapes are drawn at twice the size and scaled down, which smooths the edges
# ImageDraw would otherwise leave jagged.
SUPERSAMPLE = 2


@dataclass(frozen=True)
class Palette:
    name: str  # the time of day or mood, used in alt text
    sky_top: RGB
    sky_bottom: RGB
    sky_words: tuple[str, str]
    sun: RGB
    sun_word: str
    far: RGB
    near: RGB
    near_word: str
    accent: RGB
    accent_word: str


PALETTES = (
    Palette(
        "dusk", (58, 42, 110), (246, 158, 92), ("violet", "amber"), (255, 214, 150), "pale gold sun",
        (120, 92, 140), (32, 28, 60), "deep indigo", (255, 196, 92), "amber",
    ),
    Palette(
        "dawn", (120, 170, 214), (250, 214, 190), ("soft blue", "peach"), (255, 244, 220), "white sun",
        (140, 160, 180), (44, 62, 86), "slate blue", (240, 120, 90), "coral",
    ),
    Palette(
        "midday", (44, 120, 190), (176, 216, 240), ("bright blue", "pale sky blue"), (255, 250, 230), "white sun",
        (110, 150, 130), (30, 80, 64), "forest green", (250, 200, 60), "yellow",
    ),
    Palette(
        "night", (10, 16, 40), (40, 60, 110), ("near black", "navy"), (230, 232, 240), "full moon",
        (50, 64, 100), (14, 18, 34), "black", (255, 210, 120), "warm yellow",
    ),
    Palette(
        "winter morning", (176, 196, 214), (236, 240, 244), ("grey blue", "white"), (255, 255, 255), "hazy sun",
        (150, 164, 178), (70, 84, 100), "steel grey", (200, 60, 60), "red",
    ),
    Palette(
        "autumn evening", (90, 40, 60), (232, 120, 64), ("plum", "burnt orange"), (255, 226, 160), "large orange sun",
        (140, 70, 60), (50, 24, 28), "dark maroon", (255, 180, 80), "orange",
    ),
    Palette(
        "teal afternoon", (20, 90, 100), (150, 210, 200), ("dark teal", "mint"), (250, 250, 220), "cream sun",
        (80, 140, 140), (16, 56, 64), "dark teal", (250, 140, 90), "salmon",
    ),
)  # fmt: skip

# Landmasses on the map scene, named for the alt text.
LAND_TONES = (
    ("sand-coloured", (228, 210, 170)),
    ("sage green", (172, 198, 160)),
    ("terracotta", (208, 142, 112)),
    ("pale stone", (222, 218, 206)),
)

SCENES = ("skyline", "ridges", "map", "harbour", "wind farm", "network", "civic building")


@dataclass(frozen=True)
class Artwork:
    """An encoded picture and the words that describe it."""

    data: bytes
    width: int
    height: int
    alt_text: str
    extension: str
    # Where text burned into the picture sits, as fractions (left, top, right, bottom).
    caption_box: tuple[float, float, float, float] | None = None


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """The colour ``t`` of the way from ``a`` to ``b``."""
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    # A short column of colours, smoothed to full height and then stretched
    # sideways: far faster than drawing rows or resampling a whole picture.
    steps = 256
    strip = Image.new("RGB", (1, steps))
    strip.putdata([mix(top, bottom, y / (steps - 1)) for y in range(steps)])
    column = strip.resize((1, size[1]), Image.Resampling.BILINEAR)
    return column.resize(size, Image.Resampling.NEAREST)


def ridge_line(rng: random.Random, width: int, base: float, amplitude: float, roughness: int) -> list[tuple]:
    """A skyline of hills: a few sine waves of random phase added together."""
    waves = [(rng.uniform(0.5, 1.0) / (k + 1), rng.uniform(1, 3) * (k + 1), rng.uniform(0, math.tau)) for k in range(3)]
    points = []
    steps = 80
    for i in range(steps + 1):
        x = width * i / steps
        y = base
        for weight, frequency, phase in waves:
            y -= amplitude * weight * math.sin(frequency * math.tau * i / steps + phase)
        y += rng.uniform(-1, 1) * roughness
        points.append((x, y))
    return points


def draw_sun(draw: ImageDraw.ImageDraw, rng: random.Random, palette: Palette, w: int, h: int, *, low: bool) -> str:
    radius = rng.uniform(0.05, 0.09) * h * (1.4 if "large" in palette.sun_word else 1)
    cx = rng.uniform(0.15, 0.85) * w
    cy = (rng.uniform(0.45, 0.6) if low else rng.uniform(0.15, 0.3)) * h
    # A soft halo first, then the disc.
    for step in range(6, 0, -1):
        halo = mix(palette.sky_bottom, palette.sun, 0.15 * (7 - step) / 6)
        r = radius * (1 + step * 0.35)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=halo)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=palette.sun)
    return "near the horizon" if low else "high in the sky"


def scene_skyline(image: Image.Image, rng: random.Random, palette: Palette) -> str:
    w, h = image.size
    u = w / 1600  # sizes below are for a 1600-pixel-wide picture
    draw = ImageDraw.Draw(image)
    where = draw_sun(draw, rng, palette, w, h, low=True)
    layers = 3
    lit = 0
    for layer in range(layers):
        colour = mix(palette.far, palette.near, layer / (layers - 1))
        ground = h * (0.92 + 0.03 * layer)
        x = -rng.uniform(0, 60) * u
        while x < w:
            bw = rng.uniform(0.03, 0.08) * w
            bh = rng.uniform(0.18, 0.55 - 0.1 * layer) * h
            top = ground - bh
            draw.rectangle((x, top, x + bw, h), fill=colour)
            if rng.random() < 0.3:  # a stepped crown or a mast on some towers
                draw.rectangle((x + bw * 0.25, top - bh * 0.08, x + bw * 0.75, top), fill=colour)
            elif rng.random() < 0.2:
                draw.rectangle((x + bw * 0.47, top - bh * 0.18, x + bw * 0.53, top), fill=colour)
            if layer == layers - 1:
                for wy in range(int(top + 20 * u), int(h - 20 * u), round(36 * u)):
                    for wx in range(int(x + 12 * u), int(x + bw - 12 * u), round(28 * u)):
                        if rng.random() < 0.18:
                            draw.rectangle((wx, wy, wx + 10 * u, wy + 14 * u), fill=palette.accent)
                            lit += 1
            x += bw + rng.uniform(0, 0.015) * w
    windows = f", their windows lit in {palette.accent_word}" if lit else ""
    return (
        f"a city skyline at {palette.name}: three rows of {palette.near_word} towers{windows}, "
        f"against a sky fading from {palette.sky_words[0]} to {palette.sky_words[1]}, with a {palette.sun_word} "
        f"{where}"
    )


def scene_ridges(image: Image.Image, rng: random.Random, palette: Palette) -> str:
    w, h = image.size
    u = w / 1600  # sizes below are for a 1600-pixel-wide picture
    draw = ImageDraw.Draw(image)
    where = draw_sun(draw, rng, palette, w, h, low=rng.random() < 0.6)
    layers = rng.randint(4, 5)
    lake = rng.random() < 0.5
    floor = h * (0.78 if lake else 1.0)
    for layer in range(layers):
        colour = mix(palette.far, palette.near, layer / (layers - 1))
        base = h * (0.45 + 0.1 * layer) if not lake else h * (0.42 + 0.08 * layer)
        points = ridge_line(rng, w, base, h * (0.12 - 0.015 * layer), 3)
        draw.polygon([*points, (w, floor), (0, floor)], fill=colour)
    water = ""
    if lake:
        for band in range(12):
            y0 = floor + (h - floor) * band / 12
            colour = mix(palette.sky_bottom, palette.near, 0.3 + band / 24)
            draw.rectangle((0, y0, w, h), fill=colour)
            x0 = rng.uniform(0.1, 0.6) * w
            x1, y = x0 + rng.uniform(0.1, 0.3) * w, y0 + 6 * u
            draw.line((x0, y, x1, y), fill=palette.sun, width=round(3 * u))
        water = ", above a still lake that reflects the light in thin bands"
    return (
        f"{layers} layers of mountain ridges at {palette.name}, shading from misty tones in the distance "
        f"to {palette.near_word} in front, with a {palette.sun_word} {where}{water}"
    )


def blob(rng: random.Random, cx: float, cy: float, radius: float) -> list[tuple]:
    points = []
    bumps = [(rng.uniform(0.1, 0.3), rng.randint(2, 5), rng.uniform(0, math.tau)) for _ in range(3)]
    for i in range(90):
        angle = math.tau * i / 90
        r = radius * (1 + sum(a * math.sin(f * angle + p) for a, f, p in bumps))
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle) * 0.8))
    return points


def scene_map(image: Image.Image, rng: random.Random, palette: Palette) -> str:
    w, h = image.size
    u = w / 1600  # sizes below are for a 1600-pixel-wide picture
    sea = mix(palette.sky_top, (255, 255, 255), 0.15)
    image.paste(vertical_gradient((w, h), sea, mix(palette.sky_top, palette.sky_bottom, 0.5)))
    draw = ImageDraw.Draw(image)
    grid = mix(sea, (255, 255, 255), 0.3)
    for gx in range(0, w, w // 12):
        draw.line((gx, 0, gx, h), fill=grid, width=round(2 * u))
    for gy in range(0, h, h // 7):
        draw.line((0, gy, w, gy), fill=grid, width=round(2 * u))
    land_word, land = rng.choice(LAND_TONES)
    coast = mix(land, palette.near, 0.5)
    masses = rng.randint(3, 5)
    centres = []
    for index in range(masses):
        # Spread the landmasses across the width so they do not pile up.
        cx = (index + rng.uniform(0.3, 0.7)) / masses * w
        cy = rng.uniform(0.25, 0.75) * h
        radius = rng.uniform(0.16, 0.26) * h
        outline = blob(rng, cx, cy, radius)
        draw.polygon(outline, fill=land, outline=coast, width=round(4 * u))
        centres.append((cx, cy, radius))
    cities = []
    for cx, cy, radius in centres:
        for _ in range(rng.randint(1, 2)):
            cities.append((cx + rng.uniform(-0.5, 0.5) * radius, cy + rng.uniform(-0.4, 0.4) * radius))
    for (x1, y1), (x2, y2) in itertools.pairwise(cities):
        length = math.hypot(x2 - x1, y2 - y1)
        dashes = max(1, int(length // (30 * u)))
        for d in range(0, dashes, 2):
            t0, t1 = d / dashes, min(1, (d + 1) / dashes)
            draw.line((x1 + (x2 - x1) * t0, y1 + (y2 - y1) * t0, x1 + (x2 - x1) * t1, y1 + (y2 - y1) * t1),
                      fill=palette.accent, width=round(6 * u))  # fmt: skip
    for x, y in cities:
        r = 12 * u
        draw.ellipse((x - r, y - r, x + r, y + r), fill=palette.near, outline=(255, 255, 255), width=round(4 * u))
    # A simple compass needle in a corner.
    nx, ny, long, wide = w * 0.93, h * 0.15, 70 * u, 22 * u
    draw.polygon([(nx, ny - long), (nx + wide, ny), (nx - wide, ny)], fill=palette.accent)
    draw.polygon([(nx, ny + long), (nx + wide, ny), (nx - wide, ny)], fill=palette.near)
    return (
        f"a stylised map: {masses} {land_word} landmasses on a {palette.sky_words[0]} sea crossed by faint grid "
        f"lines, {len(cities)} city markers joined by dashed {palette.accent_word} routes, and a compass needle "
        "in the top right corner"
    )


def scene_harbour(image: Image.Image, rng: random.Random, palette: Palette) -> str:
    w, h = image.size
    u = w / 1600  # sizes below are for a 1600-pixel-wide picture
    draw = ImageDraw.Draw(image)
    where = draw_sun(draw, rng, palette, w, h, low=True)
    waterline = h * 0.68
    sea_top = mix(palette.sky_bottom, palette.near, 0.45)
    image.paste(vertical_gradient((w, int(h - waterline)), sea_top, palette.near), (0, int(waterline)))
    for y in range(int(waterline + 20 * u), h, round(26 * u)):
        x = rng.uniform(-50, 50) * u
        while x < w:
            span = rng.uniform(40, 160) * u
            draw.line((x, y, x + span, y), fill=mix(sea_top, palette.sun, 0.35), width=round(3 * u))
            x += span + rng.uniform(40, 200) * u
    quay_top = waterline - h * 0.04
    draw.rectangle((0, quay_top, w, waterline + 8), fill=palette.near)
    colours = [palette.accent, mix(palette.accent, palette.near, 0.4), (70, 120, 160), (170, 70, 60), (200, 200, 190)]
    x = w * 0.05
    box_w, box_h = 110 * u, 46 * u
    while x < w * 0.95:
        stack = rng.randint(1, 4)
        for level in range(stack):
            draw.rectangle(
                (x, quay_top - (level + 1) * box_h, x + box_w, quay_top - level * box_h - 4 * u),
                fill=rng.choice(colours),
            )
        x += box_w + 8 * u if rng.random() < 0.8 else box_w * 2.4
    cranes = rng.randint(2, 3)
    for c in range(cranes):
        cx = w * (0.2 + 0.6 * c / max(1, cranes - 1)) + rng.uniform(-60, 60) * u
        top = h * rng.uniform(0.12, 0.22)
        colour = mix(palette.near, palette.far, 0.2)
        leg, boom = 60 * u, 260 * u
        draw.line((cx - leg, quay_top, cx - leg, top), fill=colour, width=round(14 * u))
        draw.line((cx + leg, quay_top, cx + leg, top), fill=colour, width=round(14 * u))
        draw.line((cx - boom, top, cx + boom * 0.8, top), fill=colour, width=round(16 * u))
        draw.line((cx - leg, top + leg, cx + leg, top + leg * 2.4), fill=colour, width=round(6 * u))
        draw.line((cx - leg, top + leg * 2.4, cx + leg, top + leg), fill=colour, width=round(6 * u))
        draw.line((cx - boom * 0.75, top, cx - boom * 0.75, top + 180 * u), fill=colour, width=round(4 * u))
        draw.rectangle(
            (cx - boom * 0.75 - 30 * u, top + 180 * u, cx - boom * 0.75 + 30 * u, top + 200 * u), fill=colour
        )
    return (
        f"a container harbour at {palette.name}: stacks of coloured containers along a quay, {cranes} gantry cranes "
        f"in {palette.near_word} silhouette, and calm water below a sky fading from {palette.sky_words[0]} to "
        f"{palette.sky_words[1]}, with a {palette.sun_word} {where}"
    )


def scene_wind_farm(image: Image.Image, rng: random.Random, palette: Palette) -> str:
    w, h = image.size
    u = w / 1600  # sizes below are for a 1600-pixel-wide picture
    draw = ImageDraw.Draw(image)
    where = draw_sun(draw, rng, palette, w, h, low=rng.random() < 0.5)
    far_hill = ridge_line(rng, w, h * 0.66, h * 0.05, 1)
    near_hill = ridge_line(rng, w, h * 0.8, h * 0.06, 1)
    draw.polygon([*far_hill, (w, h), (0, h)], fill=palette.far)
    turbines = rng.randint(4, 7)
    white = mix((250, 250, 250), palette.sky_top, 0.1)
    for t in range(turbines):
        near = t >= turbines // 2
        x = rng.uniform(0.05, 0.95) * w
        ground = (near_hill if near else far_hill)[int(x / w * 80)][1]
        height = h * (rng.uniform(0.38, 0.5) if near else rng.uniform(0.2, 0.28))
        hub = (x, ground - height)
        draw.line((x, ground, *hub), fill=white, width=round((12 if near else 7) * u))
        angle = rng.uniform(0, math.tau)
        blade = height * 0.55
        for k in range(3):
            a = angle + k * math.tau / 3
            tip = (hub[0] + blade * math.cos(a), hub[1] + blade * math.sin(a))
            draw.line((*hub, *tip), fill=white, width=round((9 if near else 6) * u))
        r = 12 * u
        draw.ellipse((hub[0] - r, hub[1] - r, hub[0] + r, hub[1] + r), fill=white)
        if t == turbines // 2 - 1:
            draw.polygon([*near_hill, (w, h), (0, h)], fill=palette.near)
    return (
        f"{turbines} white wind turbines on rolling {palette.near_word} hills at {palette.name}, under a sky fading "
        f"from {palette.sky_words[0]} to {palette.sky_words[1]}, with a {palette.sun_word} {where}"
    )


def scene_network(image: Image.Image, rng: random.Random, palette: Palette) -> str:
    w, h = image.size
    u = w / 1600  # sizes below are for a 1600-pixel-wide picture
    image.paste(vertical_gradient((w, h), palette.near, mix(palette.near, palette.sky_top, 0.6)))
    draw = ImageDraw.Draw(image)
    count = rng.randint(28, 40)
    nodes = [(rng.uniform(0.04, 0.96) * w, rng.uniform(0.06, 0.94) * h) for _ in range(count)]
    line = mix(palette.near, palette.sky_bottom, 0.45)
    for x1, y1 in nodes:
        nearest = sorted(range(count), key=lambda j: math.hypot(nodes[j][0] - x1, nodes[j][1] - y1))[1:4]
        for j in nearest:
            draw.line((x1, y1, *nodes[j]), fill=line, width=round(3 * u))
    hubs = set(rng.sample(range(count), 5))
    for i, (x, y) in enumerate(nodes):
        r = (22 if i in hubs else 10) * u
        fill = palette.accent if i in hubs else mix(palette.sky_bottom, (255, 255, 255), 0.4)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)
    return (
        f"an abstract network: {count} pale dots joined by thin lines to their nearest neighbours on a "
        f"{palette.near_word} background, five larger {palette.accent_word} hubs standing out"
    )


def scene_civic_building(image: Image.Image, rng: random.Random, palette: Palette) -> str:
    w, h = image.size
    u = w / 1600  # sizes below are for a 1600-pixel-wide picture
    draw = ImageDraw.Draw(image)
    where = draw_sun(draw, rng, palette, w, h, low=False)
    stone = mix(palette.far, (240, 236, 226), 0.55)
    shade = mix(stone, palette.near, 0.35)
    cx = rng.uniform(0.4, 0.6) * w
    half = w * 0.19
    ground = h * 0.88
    for step in range(4):  # the steps
        inset, rise = (40 - step * 14) * u, step * 16 * u
        draw.rectangle((cx - half - inset, ground - rise, cx + half + inset, h), fill=shade)
    base = ground - 64 * u
    top = h * 0.5
    draw.rectangle((cx - half, top, cx + half, base), fill=mix(stone, palette.near, 0.15))
    columns = rng.choice((6, 8, 10))
    spacing = 2 * half / columns
    for c in range(columns):
        x = cx - half + spacing * (c + 0.5)
        draw.rectangle((x - spacing * 0.22, top + 30, x + spacing * 0.22, base), fill=stone)
    draw.rectangle((cx - half - 20 * u, top, cx + half + 20 * u, top + 34 * u), fill=stone)
    draw.polygon([(cx - half - 30 * u, top), (cx + half + 30 * u, top), (cx, top - h * 0.1)], fill=stone)
    dome = rng.random() < 0.6
    if dome:
        r = half * 0.38
        dome_base = top - h * 0.1
        draw.rectangle((cx - r, dome_base - r * 0.35, cx + r, dome_base + 4), fill=shade)
        draw.pieslice((cx - r, dome_base - r * 1.35, cx + r, dome_base + r * 0.65), 180, 360, fill=stone)
        draw.rectangle((cx - 6 * u, dome_base - r * 1.55, cx + 6 * u, dome_base - r * 0.6), fill=stone)
    trees = 0
    for side in (-1, 1):
        for _ in range(rng.randint(2, 3)):
            tx = cx + side * (half + rng.uniform(0.08, 0.3) * w)
            tr = rng.uniform(50, 95) * u
            draw.rectangle((tx - 9 * u, ground - tr, tx + 9 * u, h), fill=palette.near)
            crown = mix(palette.near, palette.far, 0.2)
            draw.ellipse((tx - tr, ground - tr * 2.8, tx + tr, ground - tr * 0.7), fill=crown)
            trees += 1
    roof = "a domed roof" if dome else "a triangular pediment"
    return (
        f"a pale stone civic building with {columns} columns and {roof}, flanked by {trees} trees in "
        f"{palette.near_word} silhouette, under a {palette.name} sky with a {palette.sun_word} {where}"
    )


SCENE_PAINTERS = {
    "skyline": scene_skyline,
    "ridges": scene_ridges,
    "map": scene_map,
    "harbour": scene_harbour,
    "wind farm": scene_wind_farm,
    "network": scene_network,
    "civic building": scene_civic_building,
}


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, format="JPEG", quality=84, progressive=True)
    else:
        image.save(buffer, format=fmt, optimize=True)
    return buffer.getvalue()


def scene_artwork(*, seed: int, scene: str | None = None, size: tuple[int, int] = (1600, 900)) -> Artwork:
    """A landscape-format illustration; ``scene`` picks the composition, else the seed does."""
    rng = random.Random(seed)
    scene = scene or rng.choice(SCENES)
    palette = rng.choice(PALETTES)
    big = (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE)
    image = vertical_gradient(big, palette.sky_top, palette.sky_bottom)
    description = SCENE_PAINTERS[scene](image, rng, palette)
    image = image.reduce(SUPERSAMPLE)
    alt_text = f"Illustration of {description}."
    return Artwork(encode(image, "JPEG"), image.width, image.height, alt_text[:250], "jpg")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled font, so the drawing needs nothing from the system.
    return ImageFont.load_default(size=size)


def initials(name: str, *, most: int = 2) -> str:
    """First and last initials of a person (``most=2``), or up to ``most`` for an organisation."""
    words = [word for word in name.replace("-", " ").split() if word[:1].isupper()]
    if len(words) < 2:
        return name[:2].upper()
    if len(words) <= most:
        return "".join(word[0] for word in words)
    return words[0][0] + words[-1][0] if most == 2 else "".join(word[0] for word in words[:most])


def draw_centred_text(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str, size: int, fill: RGB):
    face = font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    x = box[0] + (box[2] - box[0] - (right - left)) / 2 - left
    y = box[1] + (box[3] - box[1] - (bottom - top)) / 2 - top
    draw.text((x, y), text, font=face, fill=fill)


def portrait_artwork(*, name: str, seed: int, side: int = 480) -> Artwork:
    """A square placeholder portrait: the person's initials on a two-tone background."""
    rng = random.Random(seed)
    palette = rng.choice(PALETTES)
    big = side * SUPERSAMPLE
    image = vertical_gradient((big, big), mix(palette.near, palette.sky_top, 0.35), palette.near)
    draw = ImageDraw.Draw(image)
    # A head-and-shoulders shape behind the letters, as a nod to a photo.
    shoulders = mix(palette.near, palette.sky_bottom, 0.25)
    draw.ellipse((big * 0.12, big * 0.72, big * 0.88, big * 1.5), fill=shoulders)
    draw.ellipse((big * 0.3, big * 0.2, big * 0.7, big * 0.68), fill=shoulders)
    draw_centred_text(draw, (0, 0, big, big), initials(name), int(big * 0.3), (255, 255, 255))
    image = image.reduce(SUPERSAMPLE)
    alt_text = f"Placeholder portrait: the initials {initials(name)} in white on a {palette.near_word} background."
    return Artwork(encode(image, "JPEG"), side, side, alt_text, "jpg")


def logo_artwork(*, name: str, seed: int, side: int = 256) -> Artwork:
    """A monogram logo: initials in a circle or rounded square on a transparent ground."""
    rng = random.Random(seed)
    palette = rng.choice(PALETTES)
    big = side * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    colour = palette.near
    inset = big * 0.04
    shape = rng.choice(("circle", "rounded square"))
    if shape == "circle":
        draw.ellipse((inset, inset, big - inset, big - inset), fill=colour)
    else:
        draw.rounded_rectangle((inset, inset, big - inset, big - inset), radius=big * 0.18, fill=colour)
    ring = (inset * 3, inset * 3, big - inset * 3, big - inset * 3)
    draw.arc(ring, 200, 340, fill=palette.accent, width=int(big * 0.03))
    letters = initials(name, most=3)
    draw_centred_text(draw, (0, 0, big, big), letters, int(big * (0.36 if len(letters) < 3 else 0.28)), (255, 255, 255))
    image = image.reduce(SUPERSAMPLE)
    alt_text = f"{name} logo: the letters {letters} in white on a {palette.near_word} {shape}."
    return Artwork(encode(image, "PNG"), side, side, alt_text, "png")


def captioned_header_artwork(*, seed: int, caption: str, size: tuple[int, int] = (2400, 1000)) -> Artwork:
    """A wide header picture with a caption burned into its lower left corner, as news photos often have.

    The caption sits near an edge on purpose: a crop around the centre cuts
    it off, a crop around the photo's focal point (see ``CAPTION_FOCAL_POINT``)
    keeps it readable on a phone.
    """
    rng = random.Random(seed)
    palette = rng.choice(PALETTES)
    big = (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE)
    image = vertical_gradient(big, palette.sky_top, palette.sky_bottom)
    description = scene_civic_building(image, rng, palette)
    draw = ImageDraw.Draw(image)
    face = font(round(big[1] * 0.075))
    left, top, right, bottom = draw.textbbox((0, 0), caption, font=face)
    margin, padding = big[0] * 0.025, big[1] * 0.025
    box = (
        margin,
        big[1] - margin - (bottom - top) - 2 * padding,
        margin + (right - left) + 2 * padding,
        big[1] - margin,
    )
    draw.rectangle(box, fill=(12, 18, 32))
    draw.text((box[0] + padding - left, box[1] + padding - top), caption, font=face, fill=(255, 255, 255))
    image = image.reduce(SUPERSAMPLE)
    alt_text = f"Illustration with the words “{caption}” in its lower left corner: {description}."
    fractions = (box[0] / big[0], box[1] / big[1], box[2] / big[0], box[3] / big[1])
    return Artwork(encode(image, "JPEG"), image.width, image.height, alt_text[:250], "jpg", caption_box=fractions)


# Where the caption of captioned_header_artwork sits, as fractions of the picture: its focal point.
CAPTION_FOCAL_POINT = (0.25, 0.88)
