package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.LeapEngine;
import org.leapformer.data.SyntheticTranslation;
import org.leapformer.data.WordTokenizer;
import org.leapformer.train.AdamW;
import org.leapformer.train.Checkpoint;
import org.leapformer.train.Task;

/** train --task simul, translate and simul-experiment, end to end at a tiny size. */
class SimulCommandTest {

    @Test
    void trainStreamsTheValidationSetAndTranslatePrintsEveryReadAndWrite(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("leap");
        Cli.Result r = Cli.run("train", "--task", "simul", "--wait-k", "2", "--steps", "20", "--train-examples", "200",
                "--val-examples", "20", "--eval-sentences", "10", "--d-model", "32", "--head-dim", "16", "--ffn", "64",
                "--batch", "16", "--out", run.toString(), "--quiet");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("wait-2 BLEU"), r.out());
        String json = Files.readString(run.resolve("simul.json"));
        assertTrue(json.contains("\"wait_k\": \"2\"") && json.contains("\"average_lagging\""), json);

        Cli.Result t = Cli.run("translate", "--checkpoint", run.resolve("checkpoints/latest.ckpt").toString(),
                "--wait-k", "2", "--sentence", "the big cat sees a dog");
        assertEquals(0, t.code(), t.err() + t.out());
        String out = t.out();
        // wait-2: two reads before the first write
        int firstWrite = out.indexOf("WRITE");
        assertTrue(out.indexOf("READ  the") >= 0 && out.indexOf("READ  big") < firstWrite, out);
        assertTrue(out.contains("translation: ") && out.contains("average lagging: "), out);
        // no reference: γ from the translation's length, and the output says so
        assertTrue(out.contains("|y| the translation's length: no --reference")
                || out.contains("average lagging: undefined"), out);
        Cli.Result withRef = Cli.run("translate", "--checkpoint", run.resolve("checkpoints/latest.ckpt").toString(),
                "--wait-k", "2", "--sentence", "the big cat sees a dog", "--reference", "w x y z");
        assertEquals(0, withRef.code(), withRef.err() + withRef.out());
        assertTrue(withRef.out().contains("BLEU against --reference: "), withRef.out());
        assertTrue(withRef.out().contains("(γ = |y|/|x| = 4/6, |y| the reference's length)")
                || withRef.out().contains("average lagging: undefined"), withRef.out());

        Cli.Result lm = Cli.run("translate", "--checkpoint", run.resolve("checkpoints/latest.ckpt").toString(),
                "--wait-k", "0", "--sentence", "the cat");
        assertEquals(2, lm.code());
        assertTrue(lm.err().contains("--wait-k: expected a lag k >= 1 or 'inf' (offline), found '0'"), lm.err());
    }

    @Test
    void pairHardTrainsOnTheHardPresetAndSaysSo(@TempDir Path dir) throws Exception {
        String[] sizes = {"--train-examples", "64", "--val-examples", "8", "--test-examples", "6"};
        Simul.Data hard = Simul.data(Args.parse("train", with(sizes, "--pair", "hard"), 0, Simul.OPTIONS, Set.of()));
        Simul.Data plain = Simul.data(Args.parse("train", sizes, 0, Simul.OPTIONS, Set.of()));
        assertTrue(hard.description().startsWith("synthetic translation, hard: data seed 42"), hard.description());
        assertTrue(plain.description().startsWith("synthetic translation, default: data seed 42"),
                plain.description());
        assertEquals(SyntheticTranslation.hard().optSeed(42).build().generate(78).subList(0, 6), hard.test());
        assertEquals(SyntheticTranslation.builder().optSeed(42).build().generate(78).subList(0, 6), plain.test());

        Path run = dir.resolve("hard");
        Cli.Result r = Cli.run("train", "--task", "simul", "--pair", "hard", "--wait-k", "2", "--steps", "2",
                "--train-examples", "64", "--val-examples", "8", "--test-examples", "6", "--d-model", "16",
                "--head-dim", "8", "--ffn", "32", "--layers", "1", "--batch", "8", "--out", run.toString(), "--quiet");
        assertEquals(0, r.code(), r.err() + r.out());
        JsonObject json = JsonParser.parseString(Files.readString(run.resolve("simul.json"))).getAsJsonObject();
        assertEquals("hard", json.get("pair").getAsString());
        assertTrue(json.get("data").getAsString().startsWith("synthetic translation, hard: "), json.toString());

        Files.writeString(dir.resolve("a.src"), "a b\nc d\ne f\n");
        Files.writeString(dir.resolve("a.tgt"), "x y\nz w\nv u\n");
        Cli.Result both = Cli.run("train", "--task", "simul", "--pair", "hard", "--source",
                dir.resolve("a.src").toString(), "--target", dir.resolve("a.tgt").toString(), "--steps", "2",
                "--out", dir.resolve("both").toString(), "--quiet");
        assertEquals(2, both.code(), both.err() + both.out());
        assertTrue(both.err().contains("--pair and --source/--target: expected either a synthetic pair"), both.err());
        Cli.Result unknown = Cli.run("train", "--task", "simul", "--pair", "harder", "--steps", "2", "--out",
                dir.resolve("unknown").toString(), "--quiet");
        assertEquals(2, unknown.code(), unknown.err() + unknown.out());
        assertTrue(unknown.err().contains("--pair: expected one of default, hard, found 'harder'"), unknown.err());
    }

    private static String[] with(String[] base, String... more) {
        String[] out = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }

    @Test
    void theExperimentRefusesCosFormerAndSaysWhy(@TempDir Path dir) {
        Cli.Result r = Cli.run("simul-experiment", "--out", dir.toString(), "--attentions", "leap,cosformer");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("cosFormer needs the final lengths"), r.err());
    }

    @Test
    void anEmptyTranslationHasBleuZeroAndNoAverageLagging(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("leap");
        Cli.Result r = Cli.run("train", "--task", "simul", "--wait-k", "2", "--steps", "2", "--train-examples", "50",
                "--val-examples", "4", "--eval-sentences", "2", "--d-model", "32", "--head-dim", "16", "--ffn", "64",
                "--batch", "8", "--out", run.toString(), "--quiet");
        assertEquals(0, r.code(), r.err() + r.out());
        // the same model made to write the end token first: a large bias on the end token's logit
        Path silent = dir.resolve("silent.ckpt");
        try (NDManager manager = LeapEngine.newManager()) {
            Checkpoint ck = Checkpoint.read(run.resolve("checkpoints/latest.ckpt"));
            Task task = ck.newTask(manager);
            Parameter bias = null;
            for (Pair<String, Parameter> p : task.block().getParameters()) {
                if (p.getKey().endsWith("head_bias")) { // "07head_bias": the output layer's bias
                    bias = p.getValue();
                }
            }
            assertTrue(bias != null, "no head_bias among " + task.block().getParameters().keys());
            bias.getArray().set(new NDIndex(((WordTokenizer) task.tokenizer()).eosId()), 1e4f);
            Checkpoint.write(silent, task, ck.trainingConfig(), new AdamW(manager, 0.9, 0.999, 1e-8, 0),
                    ck.progress());
        }
        Cli.Result t = Cli.run("translate", "--checkpoint", silent.toString(), "--wait-k", "2", "--sentence",
                "the big cat sees a dog");
        assertEquals(0, t.code(), t.err() + t.out());
        assertTrue(t.out().contains("translation: (empty: the model wrote the end token first)"), t.out());
        assertTrue(t.out().contains("average lagging: undefined for an empty translation"), t.out());
        Cli.Result withRef = Cli.run("translate", "--checkpoint", silent.toString(), "--wait-k", "2", "--sentence",
                "the big cat sees a dog", "--reference", "a b c");
        assertEquals(0, withRef.code(), withRef.err() + withRef.out());
        assertTrue(withRef.out().contains("BLEU against --reference: 0.00"), withRef.out());
        assertTrue(withRef.out().contains("average lagging: undefined for an empty translation"), withRef.out());
    }
}
