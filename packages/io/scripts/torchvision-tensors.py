"""Tensors of an image folder as torchvision makes them, for the agreement measurement (scripts/mnist-agreement.ts).

    /usr/bin/python3 torchvision-tensors.py DIR OUT.npy RESIZE CROP CHANNELS MEAN STD

ImageFolder with its default loader (PIL open + convert('RGB')), Compose([Resize(RESIZE), CenterCrop(CROP),
Grayscale(1) when CHANNELS is 1, ToTensor(), Normalize(MEAN, STD)]); the stacked float32 tensors go to OUT.npy.
"""
import sys

import numpy as np
import torch
from torchvision import datasets, transforms

root, out, resize, crop, channels, mean, std = sys.argv[1:8]
steps = [transforms.Resize(int(resize)), transforms.CenterCrop(int(crop))]
if channels == '1':
    steps.append(transforms.Grayscale(1))
steps += [transforms.ToTensor(), transforms.Normalize([float(v) for v in mean.split(',')], [float(v) for v in std.split(',')])]
ds = datasets.ImageFolder(root, transform=transforms.Compose(steps))
np.save(out, torch.stack([ds[i][0] for i in range(len(ds))]).numpy().astype(np.float32))
