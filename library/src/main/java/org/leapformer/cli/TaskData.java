package org.leapformer.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.leapformer.data.CharTokenizer;
import org.leapformer.data.Corpora;
import org.leapformer.data.ListOps;
import org.leapformer.data.ListOpsExample;
import org.leapformer.data.ListOpsTsv;
import org.leapformer.data.ListOpsVocabulary;
import org.leapformer.data.TokenWindows;
import org.leapformer.data.Tokenizer;
import org.leapformer.data.TextFiles;
import org.leapformer.data.Vocabulary;
import org.leapformer.data.WikiText;
import org.leapformer.data.WordTokenizer;
import org.leapformer.train.BatchSource;
import org.leapformer.train.DataSources;
import org.leapformer.train.EvalSource;

/**
 * The data of a command-line run: ListOps (the LRA TSV files, or generated) or language
 * modelling (a text file — the shipped corpus by default — or WikiText-103 token files).
 *
 * @param task "listops" or "lm"
 * @param vocabSize token ids are below this
 * @param numClasses 10 for ListOps, 0 for language modelling
 * @param length N, the sequence length of the model
 * @param tokenizer the language model's tokenizer (null for ListOps)
 * @param tokenizerKind "char" or "word" (null for ListOps)
 * @param description one line on where the data came from
 */
record TaskData(String task, int vocabSize, int numClasses, int length, BatchSource train, EvalSource valid,
        Tokenizer tokenizer, String tokenizerKind, String description) {

    static final String LISTOPS = "listops";
    static final String LM = "lm";

    /** Options every command that reads data accepts. */
    static final List<String> OPTIONS = List.of("task", "data", "wikitext", "tokenizer", "length", "batch",
            "train-examples", "val-examples", "max-depth", "max-args", "valid-fraction", "seed");

    static TaskData prepare(Args a) {
        String task = a.choice("task", LISTOPS, LISTOPS, LM);
        long seed = a.nonNegativeLong("seed", 42);
        int batch = a.positiveInt("batch", 32);
        int length = a.positiveInt("length", task.equals(LISTOPS) ? 64 : 128);
        return task.equals(LISTOPS) ? listOps(a, seed, batch, length) : languageModel(a, seed, batch, length);
    }

    private static TaskData listOps(Args a, long seed, int batch, int length) {
        List<ListOpsExample> train;
        List<ListOpsExample> valid;
        String from;
        if (a.has("data")) {
            Path dir = a.path("data", null);
            train = ListOpsTsv.read(dir.resolve(ListOpsTsv.TRAIN));
            valid = ListOpsTsv.read(dir.resolve(ListOpsTsv.VALID));
            from = "LRA ListOps files in " + dir;
        } else {
            int trainCount = a.positiveInt("train-examples", 4000);
            int validCount = a.positiveInt("val-examples", 500);
            // short sources at CPU scale: the whole expression fits in the model's N tokens
            ListOps gen = ListOps.builder().optSeed(seed).optMaxDepth(a.positiveInt("max-depth", 3))
                    .optMaxArgs(a.positiveInt("max-args", 4)).optLengthRange(Math.min(8, length), length).build();
            List<ListOpsExample> all = gen.generate(trainCount + validCount);
            train = all.subList(0, trainCount);
            valid = all.subList(trainCount, all.size());
            from = "generated ListOps (seed " + seed + ", depth <= " + a.positiveInt("max-depth", 3) + ", "
                    + trainCount + " train / " + validCount + " validation)";
        }
        return new TaskData(LISTOPS, ListOpsVocabulary.SIZE, 10, length,
                DataSources.listOps(train, length, batch, seed), DataSources.listOpsEval(valid, length, batch), null,
                null, from);
    }

    private static TaskData languageModel(Args a, long seed, int batch, int length) {
        int[] train;
        int[] valid;
        Tokenizer tokenizer;
        String kind;
        String from;
        if (a.has("wikitext")) {
            Path dir = a.path("wikitext", null);
            Map<String, Long> counts = WikiText.countTokens(dir.resolve(WikiText.TRAIN));
            WordTokenizer words = WordTokenizer.builder().build(counts);
            train = WikiText.encode(dir.resolve(WikiText.TRAIN), words);
            valid = WikiText.encode(dir.resolve(WikiText.VALID), words);
            tokenizer = words;
            kind = "word";
            from = "WikiText token files in " + dir;
        } else {
            Path file = a.has("data") ? a.path("data", null) : Corpora.shipped();
            String text = read(file);
            kind = a.choice("tokenizer", "char", "char", "word");
            tokenizer = kind.equals("char") ? CharTokenizer.builder().build(text) : WordTokenizer.builder().build(text);
            TokenWindows.Split split = TokenWindows.split(tokenizer.encode(text),
                    a.number("valid-fraction", 0.1, 0.001, 0.5));
            train = split.train();
            valid = split.valid();
            from = file.getFileName() + " (" + kind + "-level, " + train.length + " train / " + valid.length
                    + " validation tokens)";
        }
        return new TaskData(LM, tokenizer.vocabulary().size(), 0, length,
                DataSources.languageModel(train, length, batch, seed),
                DataSources.languageModelEval(valid, length, batch), tokenizer, kind, from);
    }

    /** The tokenizer saved beside a run, for generation. */
    static Tokenizer loadTokenizer(Path vocabulary, String kind) {
        Vocabulary v = Vocabulary.load(vocabulary);
        return "word".equals(kind) ? new WordTokenizer(v) : new CharTokenizer(v);
    }

    private static String read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--data: expected a text file, found nothing at " + file);
        }
        return TextFiles.readUtf8(file);
    }
}
