import { analyzeLanguageModel, loadTokenizer, openLanguageModel, readTextFile, textCorpus } from '@ncscope/onnx';

// A tiny causal LM folder (config.json, tokenizer.json, onnx/model.onnx; untrained) and a text, shipped as this
// package's test fixtures (run from the repository root).
const lm = openLanguageModel('packages/onnx/test/fixtures/tiny-lm');
console.log(`head: ${lm.head!.kind} ${lm.head!.weightsFrom}, K = ${lm.head!.K} tokens, D = ${lm.head!.D}; features: ${lm.head!.featureTensor}`);

// One sequence per line, tokenized offline with the folder's tokenizer.json, cut into windows of the position table.
const tokenizer = await loadTokenizer(lm.files.tokenizer, lm.files.tokenizerConfig);
const corpus = textCorpus(readTextFile('packages/onnx/test/fixtures/tiny-stories.txt'), tokenizer, { seqLen: lm.config.maxPositions! });

// Features: the head's input at every token; class: the next token. CDNV with squared distances squared, as Wu & Papyan.
const { report, plan } = await analyzeLanguageModel(lm, corpus, { cdnvExponent: 2, preset: 'rhubarbwu' });
const m = report.metrics;
console.log(`${plan.kept} tokens of ${corpus.N} sequences, ${report.K} distinct next tokens (of ${plan.K})`);
console.log(`CDNV = ${m.cdnv!.toFixed(4)}, NC2 ETF error = ${m.etfErrorMeans.toFixed(4)}, UNC3 = ${m.unc3!.toFixed(4)}, NCC/head agreement = ${(1 - m.nc4NccMismatch!).toFixed(4)}`);
