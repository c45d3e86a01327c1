import { fileURLToPath } from 'node:url';
import { openImageFolder } from '@ncscope/io/images';

// An ImageFolder (dir/<class>/<image>) read as torchvision's evaluation pipeline would: Resize → CenterCrop → Normalize.
const dir = fileURLToPath(new URL('../test/fixtures/images/mixed/', import.meta.url));
const images = await openImageFolder(dir, { resize: 15, centerCrop: [12, 12], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
console.log('shape', images.shape.join(' × '), '| classes', images.classes.join(', '));
const x = await images.read(0, 4); // rows 0..3, NCHW float32 (the next rows decode in worker threads meanwhile)
console.log('labels', Array.from(images.labels.subarray(0, 4)).join(' '), '| first values', Array.from(x.subarray(0, 3), (v) => v.toFixed(4)).join(' '));
await images.close();
