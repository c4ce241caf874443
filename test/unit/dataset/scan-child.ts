// Run by dataset.test.ts as an unprivileged user (root reads everything): scan argv[2] and print the report.
import { scanDataset } from '../../../extension/core/dataset/dataset';

scanDataset({ images: 'd', min_size: 16 }, process.argv[2], { thumbnails: 0 })
  .then((r) => process.stdout.write(JSON.stringify(r)))
  .catch((e) => { console.error(e); process.exit(1); });
