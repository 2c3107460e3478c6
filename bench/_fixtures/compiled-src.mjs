// `node --import tsx --import ./bench/_fixtures/compiled-src.mjs`: benchmarks and their engine
// processes run the product's code as `npm start` does, compiled by tsc into dist/. Under tsx alone
// every closure is wrapped to keep its name, which costs microseconds on the hot paths measured here.
import { register } from 'node:module';

register('./compiled-src-hooks.mjs', import.meta.url);
