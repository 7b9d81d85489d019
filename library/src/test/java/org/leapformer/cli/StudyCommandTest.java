package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.study.StudyReport;

/** The study command end to end: a quick real study, its record, resume and usage errors. */
class StudyCommandTest {

    @Test
    void aQuickListOpsStudyThroughTheCommandLine(@TempDir Path dir) throws Exception {
        long start = System.nanoTime();
        Cli.Result r = Cli.run("study", "--out", dir.toString(), "--tasks", "listops", "--methods", "leap,softmax",
                "--lrs", "1e-3,3e-3", "--seeds", "2", "--scale", "quick");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("study: 6 runs"), r.out());
        assertTrue(r.out().contains("study: [6/6] listops softmax"), r.out());
        assertTrue(seconds < 60, "a quick study takes well under a minute, took " + seconds + " s");
        JsonObject s = JsonParser.parseString(Files.readString(dir.resolve("study.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
        assertEquals(6, s.getAsJsonArray("runs").size());
        JsonObject task = s.getAsJsonArray("tasks").get(0).getAsJsonObject();
        assertEquals("accuracy", task.get("metric").getAsString());
        for (var m : task.getAsJsonArray("methods")) {
            JsonObject mo = m.getAsJsonObject();
            double acc = mo.getAsJsonObject("test").get("mean").getAsDouble();
            assertTrue(acc >= 0 && acc <= 1, "test accuracy " + acc);
            assertTrue(mo.get("parameters").getAsLong() > 0);
            assertTrue(mo.getAsJsonObject("throughput").get("tokensPerSecond").getAsDouble() > 0);
            // and at longer inputs (LRA's 2000 tokens at a real scale; 256 for the tiny model)
            JsonObject at = mo.getAsJsonArray("throughputAtLength").get(0).getAsJsonObject();
            assertEquals(256, at.get("length").getAsInt());
            assertTrue(at.get("tokensPerSecond").getAsDouble() > 0);
        }
        // the paired design: seed 1 of each method starts from the same shared weights, so different methods
        // at the same seed see the same batches; the record keeps both seeds of both methods
        assertEquals(1, task.getAsJsonArray("pairs").size());
        assertEquals(2, task.getAsJsonArray("pairs").get(0).getAsJsonObject().get("n").getAsInt());
        assertEquals(Files.readString(dir.resolve("results.md"), StandardCharsets.UTF_8), StudyReport.markdown(s));
        try (Stream<Path> files = Files.walk(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".ckpt")), "checkpoints removed");
        }
        // run again: nothing is trained
        Cli.Result again = Cli.run("study", "--out", dir.toString(), "--tasks", "listops", "--methods",
                "leap,softmax", "--lrs", "1e-3,3e-3", "--seeds", "2", "--scale", "quick");
        assertEquals(0, again.code(), again.err());
        assertTrue(!again.out().contains(": training"), again.out());
        assertTrue(again.out().contains("not trained again"), again.out());
    }

    @Test
    void theLanguageModelTaskReportsTheLossPastItsTrainingLength(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run("study", "--out", dir.toString(), "--tasks", "lm", "--methods", "leap,cosformer",
                "--lrs", "3e-3", "--seeds", "2", "--scale", "quick", "--no-throughput");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonObject s = JsonParser.parseString(Files.readString(dir.resolve("study.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
        JsonObject task = s.getAsJsonArray("tasks").get(0).getAsJsonObject();
        assertEquals(4, task.getAsJsonArray("secondaryMetrics").size());
        JsonObject leap = task.getAsJsonArray("methods").get(0).getAsJsonObject().getAsJsonObject("secondary");
        JsonObject cos = task.getAsJsonArray("methods").get(1).getAsJsonObject().getAsJsonObject("secondary");
        for (String m : java.util.List.of("loss_4x", "loss_16x", "loss_4x_known", "loss_16x_known")) {
            for (JsonObject o : java.util.List.of(leap, cos)) {
                double v = o.getAsJsonObject(m).get("mean").getAsDouble();
                assertTrue(v > 0 && v < 10, m + " " + v);
            }
        }
        // LeaP takes no N: its loss is the same with the length known or not; cosFormer's is not
        assertEquals(leap.getAsJsonObject("loss_16x").get("mean").getAsDouble(),
                leap.getAsJsonObject("loss_16x_known").get("mean").getAsDouble());
        assertTrue(cos.getAsJsonObject("loss_16x").get("mean").getAsDouble()
                != cos.getAsJsonObject("loss_16x_known").get("mean").getAsDouble());
        assertEquals(1, task.getAsJsonObject("secondaryPairs").getAsJsonArray("loss_16x").size());
        String md = Files.readString(dir.resolve("results.md"), StandardCharsets.UTF_8);
        assertTrue(md.contains("loss_16x_known (lower is better)"), md);
    }

    @Test
    void usageErrorsNameWhatWasExpected(@TempDir Path dir) {
        Cli.Result r = Cli.run("study", "--tasks", "listops");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("expected --out DIR"), r.err());
        r = Cli.run("study", "--out", dir.toString(), "--methods", "leap,mamba");
        assertTrue(r.err().contains("found 'mamba'"), r.err());
        r = Cli.run("study", "--out", dir.toString(), "--seeds", "1");
        assertTrue(r.err().contains("expected a count from 2"), r.err());
        r = Cli.run("study", "--out", dir.toString(), "--tasks", "simul", "--methods", "leap,cosformer");
        assertTrue(r.err().contains("cannot train method 'cosformer'"), r.err());
        r = Cli.run("study", "--out", dir.toString(), "--scale", "huge");
        assertTrue(r.err().contains("expected quick, small, full or a factor > 0, found 'huge'"), r.err());
        r = Cli.run("study", "help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--scale quick|small|full"), r.out());
    }
}
