package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
