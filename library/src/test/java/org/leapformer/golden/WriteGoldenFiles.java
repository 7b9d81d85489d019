package org.leapformer.golden;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.leapformer.LeapEngine;
import org.leapformer.data.CharTokenizer;
import org.leapformer.data.WordTokenizer;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfig;
import org.leapformer.model.SimulTranslator;
import org.leapformer.nn.AttentionKind;
import org.leapformer.train.BatchSource;
import org.leapformer.train.Checkpoint;
import org.leapformer.train.DataSources;
import org.leapformer.train.Task;
import org.leapformer.train.Tasks;
import org.leapformer.train.Trainer;
import org.leapformer.train.TrainingBatch;
import org.leapformer.train.TrainingConfig;

/**
 * Writes a golden folder: tiny models of every kind the library ships, trained two steps (so the
 * optimizer state is not empty) and written through the public paths ({@link Trainer#saveCheckpoint}
 * for {@code .ckpt} files, {@code Model.save} for the DJL folder), each with a
 * {@code <artifact>.expected.json} holding fixed inputs and the model's outputs on them.
 *
 * <p>Run by hand, never by the test suite, once per golden version (a new version goes into a new
 * folder; the old folders stay, so {@link GoldenFilesTest} keeps loading them):
 *
 * <pre>
 * mvn -B -o -q -pl library test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=org.leapformer.golden.WriteGoldenFiles \
 *     -Dexec.args="src/test/resources/golden/v2 $(git rev-parse HEAD)"
 * </pre>
 *
 * Arguments: the folder to create (it must not exist yet) and the commit that writes it.
 */
public final class WriteGoldenFiles {

    private static final long SEED = 20261208L;

    private WriteGoldenFiles() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            throw new IllegalArgumentException("arguments: expected <new golden folder> <commit>, found "
                    + Arrays.toString(args));
        }
        Path dir = Path.of(args[0]);
        if (Files.exists(dir)) {
            throw new IllegalArgumentException(dir + ": expected a folder that does not exist yet (golden files "
                    + "are never rewritten; write a new version folder)");
        }
        Files.createDirectories(dir);
        JsonObject writtenBy = new JsonObject();
        writtenBy.addProperty("commit", args[1]);
        writtenBy.addProperty("checkpointFormatVersion", Checkpoint.VERSION);
        writtenBy.addProperty("djl", Engine.getDjlVersion());
        writtenBy.addProperty("pytorch", Engine.getEngine("PyTorch").getVersion());
        writtenBy.addProperty("threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        try (NDManager m = LeapEngine.newManager()) {
            languageModel(dir, writtenBy, m);
            classifier(dir, writtenBy, m, AttentionKind.LEAP);
            classifier(dir, writtenBy, m, AttentionKind.COSFORMER);
            classifier(dir, writtenBy, m, AttentionKind.SOFTMAX);
            translator(dir, writtenBy, m);
            // the check the test makes, now: every artifact reloads to the outputs just stored
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(Golden.EXPECTED)).sorted().toList()) {
                    JsonObject spec = com.google.gson.JsonParser.parseString(Files.readString(f)).getAsJsonObject();
                    List<float[]> again = Golden.run(dir, spec, m);
                    JsonArray outs = spec.getAsJsonArray("outputs");
                    for (int i = 0; i < outs.size(); i++) {
                        if (!Arrays.equals(Golden.floats(outs.get(i).getAsJsonObject()), again.get(i))) {
                            throw new IllegalStateException(f + ": output " + i + " differs after reloading");
                        }
                    }
                    System.out.println("wrote and reloaded " + spec.get("artifact").getAsString());
                }
            }
        }
    }

    /** 1 layer, Dm 16, 2 heads of 8, FFN 32, N ≤ 16, chunk 4, no dropout. */
    private static ModelConfig.Builder tiny(AttentionKind kind, int vocab) {
        return ModelConfig.builder().optKind(kind).setVocabSize(vocab).setMaxLength(16).optDModel(16).optHeads(2)
                .optHeadDim(8).optFfnDim(32).optLayers(1).optDropout(0.0).optChunkSize(4);
    }

    private static TrainingConfig training() {
        return TrainingConfig.builder().setSteps(2).optLearningRate(1e-2).optWarmupSteps(0).optSeed(7).build();
    }

    /** Two optimizer steps, then the checkpoint through the trainer. */
    private static void trainAndWrite(Task task, BatchSource data, Path file) {
        try (Trainer t = new Trainer(task, training())) {
            t.fit(data, null);
            t.saveCheckpoint(file);
        }
    }

    private static void languageModel(Path dir, JsonObject writtenBy, NDManager m) throws IOException {
        String corpus = "the cat sat on the mat. the dog sat on the log. a cat and a dog.\n".repeat(4);
        CharTokenizer tok = CharTokenizer.builder().build(corpus);
        ModelConfig c = tiny(AttentionKind.LEAP, tok.vocabulary().size()).build();
        try (NDManager sub = m.newSubManager()) {
            Task task = Tasks.create(Tasks.LANGUAGE_MODEL, c, sub, DataType.FLOAT32, tok, SEED);
            trainAndWrite(task, DataSources.languageModel(tok.encode(corpus), 8, 4, 5), dir.resolve("lm-leap.ckpt"));
            DecoderLM lm = (DecoderLM) task.block();
            String text = "the cat sat on";
            int[] ids = tok.encode(text);
            NDArray input = sub.create(Arrays.stream(ids).asLongStream().toArray(), new Shape(1, ids.length));
            JsonObject inputs = new JsonObject();
            inputs.addProperty("text", text);
            inputs.add("ids", Golden.array(Arrays.stream(ids).asLongStream().toArray(), input.getShape()));
            JsonObject spec = spec("lm-leap.ckpt", Golden.LOADER_TRAINED_LM, "DecoderLM LEAP, character tokenizer",
                    writtenBy, inputs);
            spec.getAsJsonArray("outputs").add(output("logits", null, lm.logits(input)));
            write(dir, spec);

            // the same trained model through DJL's own persistence
            Path folder = dir.resolve("djl-lm-leap");
            try (Model model = Model.newInstance("lm")) {
                model.setBlock(lm);
                model.save(folder, "lm");
            }
            JsonObject djl = spec("djl-lm-leap", Golden.LOADER_DJL_MODEL,
                    "DecoderLM LEAP (the model of lm-leap.ckpt) written by Model.save(dir, \"lm\")", writtenBy, inputs);
            djl.addProperty("modelName", "lm");
            djl.add("model", c.toJson());
            djl.getAsJsonArray("outputs").add(output("logits", null, lm.logits(input)));
            write(dir, djl);
        }
    }

    private static void classifier(Path dir, JsonObject writtenBy, NDManager m, AttentionKind kind)
            throws IOException {
        ModelConfig c = tiny(kind, 11).optNumClasses(3).build();
        String name = "classifier-" + kind.name().toLowerCase(java.util.Locale.ROOT) + ".ckpt";
        try (NDManager sub = m.newSubManager()) {
            Task task = Tasks.create(Tasks.CLASSIFIER, c, sub, DataType.FLOAT32, null, SEED);
            // label: how many 5s among 8 tokens 1..10, capped at 2
            BatchSource data = (bm, step) -> {
                SplittableRandom r = new SplittableRandom(31 * step + 1);
                long[] ids = new long[4 * 8];
                long[] labels = new long[4];
                for (int b = 0; b < 4; b++) {
                    for (int i = 0; i < 8; i++) {
                        ids[b * 8 + i] = 1 + r.nextInt(10);
                        labels[b] += ids[b * 8 + i] == 5 ? 1 : 0;
                    }
                    labels[b] = Math.min(labels[b], 2);
                }
                return new TrainingBatch(new NDList(bm.create(ids, new Shape(4, 8))),
                        new NDList(bm.create(labels, new Shape(4))));
            };
            trainAndWrite(task, data, dir.resolve(name));
            long[] ids = {3, 5, 7, 5, 1, 9, 10, 2, 4, 6, 5, 8, 2, 0, 0, 0}; // row 2 ends in padding (id 0)
            NDArray input = sub.create(ids, new Shape(2, 8));
            JsonObject inputs = new JsonObject();
            inputs.add("ids", Golden.array(ids, input.getShape()));
            JsonObject spec = spec(name, Golden.LOADER_CHECKPOINT, "EncoderClassifier " + kind + ", 3 classes",
                    writtenBy, inputs);
            spec.getAsJsonArray("outputs").add(output("logits", null, ((EncoderClassifier) task.block()).logits(input)));
            write(dir, spec);
        }
    }

    private static void translator(Path dir, JsonObject writtenBy, NDManager m) throws IOException {
        String[][] pairs = {{"the cat sees a dog", "le chat voit un chien"}, {"a dog sees the cat", "un chien voit le chat"},
            {"the big cat", "le grand chat"}, {"a big dog sees", "un grand chien voit"}};
        StringBuilder all = new StringBuilder();
        for (String[] p : pairs) {
            all.append(p[0]).append('\n').append(p[1]).append('\n');
        }
        WordTokenizer tok = WordTokenizer.builder().build(all.toString());
        List<int[]> sources = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        for (String[] p : pairs) {
            sources.add(tok.encodeLine(p[0]));
            targets.add(tok.encodeLine(p[1]));
        }
        int pad = tok.vocabulary().require(org.leapformer.data.Vocabulary.PAD);
        ModelConfig c = tiny(AttentionKind.LEAP, tok.vocabulary().size()).optPadId(pad).build();
        try (NDManager sub = m.newSubManager()) {
            Task task = Tasks.translation(
                    (SimulTranslator) Tasks.create(Tasks.TRANSLATION, c, sub, DataType.FLOAT32, tok, SEED).block(), 2,
                    tok);
            trainAndWrite(task, DataSources.translation(sources, targets, tok.eosId(), pad, 2, 5),
                    dir.resolve("translator-leap.ckpt"));
            SimulTranslator t = (SimulTranslator) task.block();
            // source "the cat sees a dog <eos>" and "the big cat <eos>" + padding; decoder input <eos> le chat voit
            int[] s0 = tok.encodeLine(pairs[0][0]);
            int[] s1 = tok.encodeLine(pairs[2][0]);
            int[] t0 = tok.encodeLine("le chat voit");
            int[] t1 = tok.encodeLine("le grand chat");
            int sLen = s0.length;
            long[] source = new long[2 * sLen];
            float[] mask = new float[2 * sLen];
            Arrays.fill(source, pad);
            for (int i = 0; i < s0.length; i++) {
                source[i] = s0[i];
                mask[i] = 1;
            }
            for (int i = 0; i < s1.length; i++) {
                source[sLen + i] = s1[i];
                mask[sLen + i] = 1;
            }
            int tLen = t0.length; // <eos> then the first three words (the encoded line's own <eos> dropped)
            long[] target = new long[2 * tLen];
            target[0] = tok.eosId();
            target[tLen] = tok.eosId();
            for (int i = 1; i < tLen; i++) {
                target[i] = t0[i - 1];
                target[tLen + i] = t1[i - 1];
            }
            NDArray src = sub.create(source, new Shape(2, sLen));
            NDArray msk = sub.create(mask, new Shape(2, sLen));
            NDArray tgt = sub.create(target, new Shape(2, tLen));
            JsonObject inputs = new JsonObject();
            inputs.add("source", Golden.array(source, src.getShape()));
            inputs.add("sourceMask", Golden.array(msk));
            inputs.add("target", Golden.array(target, tgt.getShape()));
            JsonObject spec = spec("translator-leap.ckpt", Golden.LOADER_CHECKPOINT,
                    "SimulTranslator LEAP trained wait-2, word tokenizer", writtenBy, inputs);
            spec.getAsJsonArray("outputs").add(output("logits", "2", t.logits(src, msk, tgt, 2)));
            spec.getAsJsonArray("outputs").add(output("logits", "offline",
                    t.logits(src, msk, tgt, org.leapformer.ops.WaitK.OFFLINE)));
            write(dir, spec);
        }
    }

    private static JsonObject spec(String artifact, String loader, String what, JsonObject writtenBy,
            JsonObject inputs) {
        JsonObject o = new JsonObject();
        o.addProperty("artifact", artifact);
        o.addProperty("what", what);
        o.addProperty("loader", loader);
        o.add("writtenBy", writtenBy);
        o.add("inputs", inputs);
        o.add("outputs", new JsonArray());
        return o;
    }

    private static JsonObject output(String name, String k, NDArray values) {
        JsonObject o = Golden.array(values);
        o.addProperty("name", name);
        if (k != null) {
            o.addProperty("k", k);
        }
        return o;
    }

    private static void write(Path dir, JsonObject spec) throws IOException {
        Files.writeString(dir.resolve(spec.get("artifact").getAsString() + Golden.EXPECTED),
                new GsonBuilder().setPrettyPrinting().create().toJson(spec) + "\n", StandardCharsets.UTF_8);
    }
}
