package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.LeapEngine;
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
