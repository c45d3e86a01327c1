"""Writes the image fixtures of @ncscope/io's image-folder tests and the tensors PIL + torchvision make of them.

    /usr/bin/python3 packages/io/scripts/image-fixtures.py      # Debian: python3-pil python3-torchvision python3-numpy

Run once; the files it writes are committed and the tests never call Python. Pillow writes every image (PNG of
every colour type, 16-bit PNG, BMP, TIFF, WebP, JPEG baseline/progressive/4:4:4/grey), in an ImageFolder layout:

    test/fixtures/images/same/<class>/<file>    all 24 × 20: read without resizing (the bit-exact case)
    test/fixtures/images/mixed/<class>/<file>   sizes 17..41 wide: needs --resize/--center-crop

and for each transform set of CASES, torchvision's ImageFolder (its default loader: PIL open + convert('RGB'))
with Compose([Resize, CenterCrop, Grayscale, ToTensor, Normalize]) stacks the tensors into <case>.npy (float32,
N × C × H × W) and lists the samples in cases.json (path relative to the folder, label, classes).
"""
import json
import os
import struct
import zlib

import numpy as np
import torch
from PIL import Image
from torchvision import datasets, transforms

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'images')
rng = np.random.default_rng(21)


def smooth_rgb(w, h, seed):
    """A smooth gradient plus noise: realistic enough that JPEG and resampling differences show up."""
    r = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([128 + 100 * np.sin(x / (2 + seed % 5) + c) * np.cos(y / (3 + c)) for c in range(3)], axis=-1)
    return np.clip(base + r.normal(0, 18, base.shape), 0, 255).astype(np.uint8)


def png16(path, arr):
    """A 16-bit PNG written byte by byte (Pillow cannot write 16-bit RGB): arr is h × w × c uint16, c in 1..4."""
    h, w, c = arr.shape
    raw = b''.join(b'\x00' + arr[y].astype('>u2').tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xFFFFFFFF)

    colour = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, colour, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def write_set(root, size_of):
    """One image of every kind, spread over four classes whose names test the sort order."""
    kinds = []
    n = 0

    def nxt():
        nonlocal n
        n += 1
        return n

    def save(cls, name, fn):
        d = os.path.join(root, cls)
        os.makedirs(d, exist_ok=True)
        i = nxt()
        w, h = size_of(i)
        fn(os.path.join(d, name), smooth_rgb(w, h, i), w, h)
        kinds.append(f'{cls}/{name}')

    save('Zebra', 'rgb.png', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p))
    save('Zebra', 'grey.png', lambda p, a, w, h: Image.fromarray(a[..., 1], 'L').save(p))
    save('Zebra', 'rgba.png', lambda p, a, w, h: Image.fromarray(np.dstack([a, rng.integers(0, 256, (h, w), dtype=np.uint8)]), 'RGBA').save(p))
    save('Zebra', 'grey-alpha.png', lambda p, a, w, h: Image.fromarray(np.dstack([a[..., 0], a[..., 2]]), 'LA').save(p))
    save('cat', 'palette.png', lambda p, a, w, h: Image.fromarray(a, 'RGB').quantize(37).save(p))
    save('cat', 'palette-trns.png', lambda p, a, w, h: Image.fromarray(a, 'RGB').quantize(20).save(p, transparency=3))
    save('cat', 'rgb16.png', lambda p, a, w, h: png16(p, a.astype(np.uint16) * 257 + rng.integers(0, 257, a.shape).astype(np.uint16)))
    save('cat', 'rgba16.png', lambda p, a, w, h: png16(p, np.dstack([a.astype(np.uint16) * 256 + 77, np.full((h, w), 40000, np.uint16)])))
    save('cat', 'grey-alpha16.png', lambda p, a, w, h: png16(p, np.dstack([a[..., 0].astype(np.uint16) * 256 + 3, a[..., 1].astype(np.uint16) * 256])))
    save('dog', 'rgb.bmp', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p))
    save('dog', 'palette.bmp', lambda p, a, w, h: Image.fromarray(a, 'RGB').quantize(50).save(p))
    save('dog', 'grey.bmp', lambda p, a, w, h: Image.fromarray(a[..., 2], 'L').save(p))
    save('dog', 'rgb.tif', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p))
    save('dog', 'rgb-lzw.tiff', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p, compression='tiff_lzw'))
    save('dog', 'lossless.webp', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p, lossless=True))
    save('dog', 'UPPER.PNG', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p, format='PNG'))
    save('éclair', 'q90.jpg', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p, quality=90))
    save('éclair', 'q75-444.jpeg', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p, quality=75, subsampling=0))
    save('éclair', 'progressive.jpg', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p, quality=85, progressive=True))
    save('éclair', 'grey.jpg', lambda p, a, w, h: Image.fromarray(a[..., 0], 'L').save(p, quality=90))
    save('éclair', 'lossy.webp', lambda p, a, w, h: Image.fromarray(a, 'RGB').save(p, quality=80))
    # Skipped by every reader: a hidden file, a file with another extension, a hidden folder.
    open(os.path.join(root, 'cat', '.hidden.png'), 'wb').write(b'not an image')
    open(os.path.join(root, 'cat', 'notes.txt'), 'w').write('not an image\n')
    os.makedirs(os.path.join(root, '.cache', 'x'), exist_ok=True)
    Image.fromarray(smooth_rgb(24, 20, 99), 'RGB').save(os.path.join(root, '.cache', 'x', 'thumb.png'))
    return kinds


CASES = {
    # Images at the model's size: ToTensor + Normalize only (the bit-exact contract).
    'same-plain': dict(folder='same', resize=None, crop=None, grey=False, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    'same-grey': dict(folder='same', resize=None, crop=None, grey=True, mean=[0.5], std=[0.25]),
    # Downscaling (antialiased bilinear) + a centre crop with a .5 offset (round half to even).
    'mixed-down': dict(folder='mixed', resize=15, crop=12, grey=False, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    # Upscaling past the crop, bicubic.
    'mixed-up-bicubic': dict(folder='mixed', resize=32, crop=[28, 30], grey=False, mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5], interpolation='bicubic'),
    # Resize to an exact H × W, then grey.
    'mixed-hw-grey': dict(folder='mixed', resize=[13, 21], crop=None, grey=True, mean=[0.1307], std=[0.3081]),
    # A crop larger than the image: torchvision pads with zeros (after normalization they are -mean/std).
    'same-pad': dict(folder='same', resize=None, crop=[22, 27], grey=False, mean=[0.0, 0.0, 0.0], std=[1.0, 1.0, 1.0]),
}

class Folder(datasets.ImageFolder):
    """torchvision's ImageFolder, skipping hidden folders and files as ncscope does (torchvision would take a
    '.cache' folder for a class and '.hidden.png' for an image)."""

    def find_classes(self, directory):
        classes = sorted(e.name for e in os.scandir(directory) if e.is_dir() and not e.name.startswith('.'))
        return classes, {c: i for i, c in enumerate(classes)}

    def __init__(self, root, **kw):
        ok = lambda p: not os.path.basename(p).startswith('.') and p.lower().endswith(datasets.folder.IMG_EXTENSIONS)
        super().__init__(root, is_valid_file=ok, **kw)


MODES = {'bilinear': transforms.InterpolationMode.BILINEAR, 'bicubic': transforms.InterpolationMode.BICUBIC}


def main():
    for sub in ('same', 'mixed'):
        d = os.path.join(OUT, sub)
        if os.path.exists(d):
            import shutil
            shutil.rmtree(d)
    write_set(os.path.join(OUT, 'same'), lambda i: (24, 20))
    write_set(os.path.join(OUT, 'mixed'), lambda i: (17 + (i * 7) % 25, 14 + (i * 5) % 19))
    meta = {}
    for name, c in CASES.items():
        steps = []
        mode = MODES[c.get('interpolation', 'bilinear')]
        if c['resize'] is not None:
            steps.append(transforms.Resize(c['resize'], interpolation=mode))
        if c['crop'] is not None:
            steps.append(transforms.CenterCrop(c['crop']))
        if c['grey']:
            steps.append(transforms.Grayscale(1))
        steps += [transforms.ToTensor(), transforms.Normalize(c['mean'], c['std'])]
        ds = Folder(os.path.join(OUT, c['folder']), transform=transforms.Compose(steps))
        x = torch.stack([ds[i][0] for i in range(len(ds))]).numpy().astype(np.float32)
        np.save(os.path.join(OUT, f'{name}.npy'), x)
        meta[name] = dict(c, classes=ds.classes, samples=[[os.path.relpath(p, os.path.join(OUT, c['folder'])), y] for p, y in ds.samples],
                          shape=list(x.shape))
        # The decoded pixels alone (PIL open + convert('RGB')), to tell decoding differences from transform ones.
    for sub in ('same', 'mixed'):
        ds = Folder(os.path.join(OUT, sub))
        pixels = {os.path.relpath(p, os.path.join(OUT, sub)): np.asarray(Image.open(p).convert('RGB')).tolist() for p, _ in ds.samples}
        with open(os.path.join(OUT, f'{sub}-pixels.json'), 'w') as f:
            json.dump(pixels, f, separators=(',', ':'))
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump({'torchvision': __import__('torchvision').__version__, 'pillow': Image.__version__, 'cases': meta}, f, indent=1, ensure_ascii=False)
    print('wrote', OUT, {k: v['shape'] for k, v in meta.items()})


if __name__ == '__main__':
    main()
