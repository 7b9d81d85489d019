package org.leapformer.cli;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.leapformer.data.CharTokenizer;
import org.leapformer.data.Corpora;
import org.leapformer.data.ListOps;
import org.leapformer.data.ListOpsExample;
import org.leapformer.data.ListOpsTsv;
import org.leapformer.data.ListOpsVocabulary;
import org.leapformer.data.Mqar;
import org.leapformer.data.MqarExample;
import org.leapformer.data.SeededSampler;
import org.leapformer.data.Tokenizer;
import org.leapformer.data.TextFiles;
import org.leapformer.data.Vocabulary;
import org.leapformer.data.WikiText;
import org.leapformer.data.WordTokenizer;
import org.leapformer.train.BatchSource;
import org.leapformer.train.DataSources;
import org.leapformer.train.EvalSource;

/**
 * The data of a command-line run: ListOps (the LRA TSV files, or generated), language
 * modelling (a text file — the shipped corpus by default — or WikiText-103 token files) or
 * generated multi-query associative recall (MQAR, a causal model scored at its queries), always as
 * three sets: train (batches), validation (the best checkpoint and early stopping) and test
 * (evaluated once, on the chosen model, and reported). Everything here follows the data seed
 * ({@code --data-seed}): generation, the carving of sets out of a file that has none, and the batch
 * order; the model seed ({@code --seed}) never reaches the data.
 *
 * @param task "listops", "lm" or "mqar"
 * @param vocabSize token ids are below this
 * @param numClasses 10 for ListOps, 0 for language modelling and MQAR
 * @param length N, the sequence length of the model
 * @param test the test batches, in order
 * @param tokenizer the language model's tokenizer (null for ListOps)
 * @param tokenizerKind "char" or "word" (null for ListOps)
 * @param description one line on where the data came from
 * @param dataSeed the data seed everything here was drawn with
 * @param splits the sizes of the three sets
 * @param validTokens the language model's validation text as token ids (null for other tasks)
 * @param testTokens the language model's test text as token ids (null for other tasks), for
 *     evaluation past the training window ({@code eval --lengths})
 */
record TaskData(String task, int vocabSize, int numClasses, int length, BatchSource train, EvalSource valid,
        EvalSource test, Tokenizer tokenizer, String tokenizerKind, String description, long dataSeed,
        Splits splits, int[] validTokens, int[] testTokens) {

    /** Data of a task without a token stream. */
    TaskData(String task, int vocabSize, int numClasses, int length, BatchSource train, EvalSource valid,
            EvalSource test, Tokenizer tokenizer, String tokenizerKind, String description, long dataSeed,
            Splits splits) {
        this(task, vocabSize, numClasses, length, train, valid, test, tokenizer, tokenizerKind, description, dataSeed,
                splits, null, null);
    }

    static final String LISTOPS = "listops";
    static final String LM = "lm";
    /** Multi-query associative recall ({@link Mqar}), generated, for the causal language model. */
    static final String MQAR = "mqar";
    /** The default of {@code --data-seed} (and of {@code --seed}, the model seed). */
    static final long DEFAULT_SEED = 42;

    /** Options every command that reads data accepts. */
    static final List<String> OPTIONS = List.of("task", "data", "wikitext", "tokenizer", "length", "batch",
            "train-examples", "val-examples", "test-examples", "max-depth", "max-args", "valid-fraction",
            "test-fraction", "data-seed", "kv-pairs", "mqar-length", "mqar-vocab", "mqar-queries", "mqar-power");

    /**
     * Sizes of the three sets.
     *
     * @param unit what is counted: "examples", "tokens" or "sentence pairs"
     */
    record Splits(String unit, long train, long validation, long test) {
        JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("unit", unit);
            o.addProperty("train", train);
            o.addProperty("validation", validation);
            o.addProperty("test", test);
            return o;
        }

        @Override
        public String toString() {
            return train + " train / " + validation + " validation / " + test + " test " + unit;
        }
    }

    static TaskData prepare(Args a) {
        String task = a.choice("task", LISTOPS, LISTOPS, LM, MQAR);
        long dataSeed = dataSeed(a);
        int batch = a.positiveInt("batch", 32);
        if (task.equals(MQAR)) {
            return mqar(a, dataSeed, batch);
        }
        int length = a.positiveInt("length", task.equals(LISTOPS) ? 64 : 128);
        return task.equals(LISTOPS) ? listOps(a, dataSeed, batch, length) : languageModel(a, dataSeed, batch, length);
    }

    /** {@code --data-seed}: generation, splits and batch order (independent of {@code --seed}). */
    static long dataSeed(Args a) {
        return a.nonNegativeLong("data-seed", DEFAULT_SEED);
    }

    private static TaskData listOps(Args a, long seed, int batch, int length) {
        List<ListOpsExample> train;
        List<ListOpsExample> valid;
        List<ListOpsExample> test;
        String from;
        if (a.has("data")) {
            Path dir = a.path("data", null);
            train = ListOpsTsv.read(dir.resolve(ListOpsTsv.TRAIN));
            valid = ListOpsTsv.read(dir.resolve(ListOpsTsv.VALID));
            if (Files.isRegularFile(dir.resolve(ListOpsTsv.TEST))) {
                test = ListOpsTsv.read(dir.resolve(ListOpsTsv.TEST));
                from = "LRA ListOps files in " + dir;
            } else {
                double fraction = a.number("test-fraction", 0.1, 0, 0.9);
                List<List<ListOpsExample>> parts = carve(train, fraction, seed, "ListOps test set (--test-fraction "
                        + fraction + " of the " + train.size() + " examples of " + ListOpsTsv.TRAIN + ", no "
                        + ListOpsTsv.TEST + ")");
                train = parts.get(0);
                test = parts.get(1);
                from = "LRA ListOps files in " + dir + " (no " + ListOpsTsv.TEST + ": test carved out of "
                        + ListOpsTsv.TRAIN + " by the data seed)";
            }
            requireNonEmpty("ListOps validation set", valid.size(), dir.resolve(ListOpsTsv.VALID).toString());
            requireNonEmpty("ListOps test set", test.size(), dir.resolve(ListOpsTsv.TEST).toString());
        } else {
            int trainCount = a.positiveInt("train-examples", 4000);
            int validCount = a.positiveInt("val-examples", 500);
            int testCount = a.positiveInt("test-examples", 500);
            // short sources at CPU scale: the whole expression fits in the model's N tokens
            ListOps gen = ListOps.builder().optSeed(seed).optMaxDepth(a.positiveInt("max-depth", 3))
                    .optMaxArgs(a.positiveInt("max-args", 4)).optLengthRange(Math.min(8, length), length).build();
            // one set of distinct examples (as LRA), test first: the test and validation sets stay the same
            // when only --train-examples changes
            List<ListOpsExample> all = gen.generate(testCount + validCount + trainCount);
            test = all.subList(0, testCount);
            valid = all.subList(testCount, testCount + validCount);
            train = all.subList(testCount + validCount, all.size());
            from = "generated ListOps (data seed " + seed + ", depth <= " + a.positiveInt("max-depth", 3) + ")";
        }
        Splits splits = new Splits("examples", train.size(), valid.size(), test.size());
        return new TaskData(LISTOPS, ListOpsVocabulary.SIZE, 10, length,
                DataSources.listOps(train, length, batch, seed), DataSources.listOpsEval(valid, length, batch),
                DataSources.listOpsEval(test, length, batch), null, null, from + ", " + splits, seed, splits);
    }

    /**
     * Generated MQAR: one set of distinct sequences drawn from the data seed, test first, then
     * validation, then train (so the test and validation sets stay the same when only
     * {@code --train-examples} changes). The model's N is {@code --mqar-length} ({@code --length}
     * may say the same).
     */
    private static TaskData mqar(Args a, long seed, int batch) {
        int length = a.positiveInt("mqar-length", a.positiveInt("length", 64));
        if (a.has("length") && a.has("mqar-length") && a.positiveInt("length", length) != length) {
            throw new IllegalArgumentException("--length: expected the MQAR sequence length --mqar-length " + length
                    + " (or no --length), found " + a.positiveInt("length", length));
        }
        int kv = a.positiveInt("kv-pairs", 8);
        int vocab = a.positiveInt("mqar-vocab", 64);
        int queries = a.positiveInt("mqar-queries", kv);
        double power = a.number("mqar-power", Mqar.ZOOLOGY_POWER_A, 1e-6, 1e6);
        int trainCount = a.positiveInt("train-examples", 20000);
        int validCount = a.positiveInt("val-examples", 500);
        int testCount = a.positiveInt("test-examples", 1000);
        Mqar gen = Mqar.builder().optSeed(seed).optVocabSize(vocab).optKvPairs(kv).optLength(length)
                .optQueries(queries).optPowerA(power).build();
        List<MqarExample> all = gen.generate(testCount + validCount + trainCount);
        List<MqarExample> test = all.subList(0, testCount);
        List<MqarExample> valid = all.subList(testCount, testCount + validCount);
        List<MqarExample> train = all.subList(testCount + validCount, all.size());
        Splits splits = new Splits("examples", train.size(), valid.size(), test.size());
        String from = "generated MQAR (data seed " + seed + ", V=" + vocab + ", K=" + kv + " key-value pairs, Q=" + queries
                + " queries, N=" + length + ", query distance power a=" + power + "; scored at the queries only)";
        return new TaskData(MQAR, vocab, 0, length, DataSources.mqar(train, batch, seed),
                DataSources.mqarEval(valid, batch), DataSources.mqarEval(test, batch), null, null, from + ", " + splits,
                seed, splits);
    }

    /** The metric the checkpoint is chosen on: accuracy for ListOps and MQAR (higher is better), else loss. */
    String monitor() {
        return task.equals(LM) ? "loss" : "accuracy";
    }

    private static TaskData languageModel(Args a, long seed, int batch, int length) {
        int[] train;
        int[] valid;
        int[] test;
        Tokenizer tokenizer;
        String kind;
        String from;
        if (a.has("wikitext")) {
            Path dir = a.path("wikitext", null);
            Map<String, Long> counts = WikiText.countTokens(dir.resolve(WikiText.TRAIN));
            WordTokenizer words = WordTokenizer.builder().build(counts);
            train = WikiText.encode(dir.resolve(WikiText.TRAIN), words);
            valid = WikiText.encode(dir.resolve(WikiText.VALID), words);
            test = WikiText.encode(dir.resolve(WikiText.TEST), words);
            tokenizer = words;
            kind = "word";
            from = "WikiText token files in " + dir;
        } else {
            Path file = a.has("data") ? a.path("data", null) : Corpora.shipped();
            String text = read(file);
            kind = a.choice("tokenizer", "char", "char", "word");
            tokenizer = kind.equals("char") ? CharTokenizer.builder().build(text) : WordTokenizer.builder().build(text);
            int[] ids = tokenizer.encode(text);
            double validFraction = a.number("valid-fraction", 0.1, 0.001, 0.5);
            double testFraction = a.number("test-fraction", 0.1, 0.001, 0.5);
            // contiguous: train, then validation, then test (windows of a stream cut at random would share text)
            int testCut = ids.length - (int) Math.round(ids.length * testFraction);
            int validCut = testCut - (int) Math.round(ids.length * validFraction);
            train = Arrays.copyOfRange(ids, 0, Math.max(0, validCut));
            valid = Arrays.copyOfRange(ids, Math.max(0, validCut), testCut);
            test = Arrays.copyOfRange(ids, testCut, ids.length);
            from = file.getFileName() + " (" + kind + "-level; contiguous train, validation, test)";
            String of = " of the " + ids.length + " tokens of " + file.getFileName();
            requireWindow("training set", train.length, length, "what precedes --valid-fraction " + validFraction
                    + " and --test-fraction " + testFraction + of);
            requireWindow("validation set", valid.length, length, "--valid-fraction " + validFraction + of);
            requireWindow("test set", test.length, length, "--test-fraction " + testFraction + of);
        }
        Splits splits = new Splits("tokens", train.length, valid.length, test.length);
        return new TaskData(LM, tokenizer.vocabulary().size(), 0, length,
                DataSources.languageModel(train, length, batch, seed),
                DataSources.languageModelEval(valid, length, batch), DataSources.languageModelEval(test, length, batch),
                tokenizer, kind, from + ", " + splits, seed, splits, valid, test);
    }

    /**
     * Carves {@code fraction} of {@code all} (at least one) out, chosen by the data seed; both parts
     * keep the original order.
     *
     * @return [the rest, the carved part]
     * @throws IllegalArgumentException naming {@code what} when either part would be empty
     */
    static <T> List<List<T>> carve(List<T> all, double fraction, long seed, String what) {
        int count = Math.max(1, (int) Math.round(all.size() * fraction));
        if (count >= all.size()) {
            throw new IllegalArgumentException(what + ": expected at least " + (count + 1) + " items (" + count
                    + " carved out and at least one left), found " + all.size());
        }
        int[] order = SeededSampler.order(all.size(), seed ^ CARVE_SALT, 0);
        boolean[] carved = new boolean[all.size()];
        for (int i = 0; i < count; i++) {
            carved[order[i]] = true;
        }
        List<T> rest = new ArrayList<>();
        List<T> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            (carved[i] ? out : rest).add(all.get(i));
        }
        return List.of(rest, out);
    }

    /** Mixed into the data seed for {@link #carve}, so carving and the batch order are not one permutation. */
    private static final long CARVE_SALT = 0x5EED_CA4E_0000_0001L;

    private static void requireNonEmpty(String what, int size, String where) {
        if (size == 0) {
            throw new IllegalArgumentException(what + ": expected at least one example, found none in " + where);
        }
    }

    private static void requireWindow(String what, int tokens, int length, String because) {
        if (tokens < length + 1) {
            throw new IllegalArgumentException("language-model " + what + ": expected at least N + 1 = " + (length + 1)
                    + " tokens for one window of --length " + length + ", found " + tokens + " (" + because + ")");
        }
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
