package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.internal.Streams;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.train.Checkpoint;

/**
 * A training process killed with SIGKILL at random moments, and at the moment a checkpoint is
 * being written, then resumed: afterwards the metrics hold every step exactly once, with the
 * losses of an uninterrupted run, no temporary file is left, every JSON file is valid and every
 * checkpoint loads.
 */
class KillAndResumeTest {

    private static final int STEPS = 600;
    private static final int EVAL_EVERY = 20;

    private static List<String> command(Path out, boolean resume) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true"));
        for (String p : List.of("ENGINE_CACHE_DIR", "DJL_CACHE_DIR", "ai.djl.pytorch.num_threads",
                "ai.djl.pytorch.num_interop_threads")) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.leapformer.cli.Main", "train",
                "--task", "listops", "--length", "48", "--train-examples", "200", "--val-examples", "16",
                "--layers", "1", "--d-model", "16", "--heads", "2", "--head-dim", "8", "--ffn", "32", "--batch", "16",
                "--steps", String.valueOf(STEPS), "--eval-every", String.valueOf(EVAL_EVERY), "--quiet",
                "--out", out.toString()));
        if (resume) {
            cmd.add("--resume");
        }
        return cmd;
    }

    private static Process start(Path out, boolean resume, Path log) throws IOException {
        return new ProcessBuilder(command(out, resume)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static int finish(Process p, Path log) throws Exception {
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "training did not finish; log:\n" + Files.readString(log));
        return p.exitValue();
    }

    /**
     * Starts a resumed run and kills it: when {@code atWrite}, as soon as a temporary checkpoint file
     * appears (a checkpoint is being written); otherwise {@code millis} after training has started
     * (steps.csv grows).
     */
    private static void killDuring(Path out, boolean atWrite, long millis, Path log) throws Exception {
        long from = checkpointStep(out);
        Path checkpoints = out.resolve("checkpoints");
        List<Path> stale = temporaries(checkpoints); // left by the previous kill; the next write removes them
        Path own = log.resolveSibling("child.log");
        Files.deleteIfExists(own);
        Process p = start(out, true, own);
        long limit = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        boolean training = false;
        while (p.isAlive() && System.nanoTime() < limit) {
            if (atWrite) {
                List<Path> now = temporaries(checkpoints);
                now.removeAll(stale);
                if (!now.isEmpty()) {
                    break;
                }
            } else {
                // the metrics are cut back to the checkpoint once "resuming" is printed; then they grow
                training = training || (Files.isRegularFile(own) && (Files.readString(own).contains("resuming") || Files.readString(own).contains("starting a new run")));
                if (training && lastStep(out.resolve("steps.csv")) > from) {
                    Thread.sleep(millis);
                    break;
                }
                Thread.sleep(2);
            }
        }
        p.destroyForcibly(); // SIGKILL
        p.waitFor(1, TimeUnit.MINUTES);
        Files.writeString(log, Files.readString(own), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    private static List<Path> temporaries(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return new ArrayList<>(files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList());
        } catch (IOException e) {
            return new ArrayList<>(); // not there yet, or changed while listed
        }
    }

    private static long checkpointStep(Path out) throws IOException {
        Path latest = out.resolve("checkpoints/latest.ckpt");
        return Files.isRegularFile(latest) ? Checkpoint.read(latest).progress().step() : 0;
    }

    /** The step of the last complete row of steps.csv (0 when there is none). */
    private static long lastStep(Path csv) {
        try {
            List<String> lines = Files.readAllLines(csv);
            for (int i = lines.size() - 1; i > 0; i--) {
                String[] f = lines.get(i).split(",");
                if (f.length == 5) {
                    return Long.parseLong(f[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not there yet, or a row being written
        }
        return 0;
    }

    private static List<String[]> rows(Path csv) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(csv).subList(1, Files.readAllLines(csv).size())) {
            rows.add(line.split(",", -1));
        }
        return rows;
    }

    /** Parses strictly: NaN, Infinity and trailing garbage are errors, as in any JSON reader but a lenient one. */
    static JsonElement strictJson(Path file) throws IOException {
        JsonReader r = new JsonReader(new StringReader(Files.readString(file)));
        r.setLenient(false);
        JsonElement e = Streams.parse(r);
        assertEquals(com.google.gson.stream.JsonToken.END_DOCUMENT, r.peek(), file + ": trailing content");
        return e;
    }

    @Test
    void killedAtRandomAndDuringCheckpointWritesThenResumedTheHistoryIsCompleteAndExact(@TempDir Path dir)
            throws Exception {
        Path log = dir.resolve("children.log");
        Path reference = dir.resolve("reference");
        long begin = System.nanoTime();
        assertEquals(0, finish(start(reference, false, log), log), Files.readString(log));
        long runMillis = (System.nanoTime() - begin) / 1_000_000;
        Random random = new Random(20261202);

        Path out = dir.resolve("killed");
        List<String> kills = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            boolean atWrite = i % 2 == 1;
            long millis = random.nextInt(600);
            killDuring(out, atWrite, millis, log);
            long step = checkpointStep(out);
            kills.add((atWrite ? "at a checkpoint write" : millis + " ms into training") + " -> checkpoint step " + step);
        }
        System.err.println("KillAndResumeTest: an uninterrupted run takes " + runMillis + " ms; kills: " + kills);
        assertEquals(0, finish(start(out, true, log), log), Files.readString(log));

        List<String[]> steps = rows(out.resolve("steps.csv"));
        List<String[]> expected = rows(reference.resolve("steps.csv"));
        assertEquals(STEPS, steps.size(), "one row per step");
        for (int i = 0; i < STEPS; i++) {
            assertEquals(String.valueOf(i + 1), steps.get(i)[0], "row " + i + " is step " + (i + 1));
            assertEquals(expected.get(i)[1], steps.get(i)[1], "loss of step " + (i + 1) + " as uninterrupted; kills "
                    + kills);
        }
        List<String[]> evals = rows(out.resolve("evaluations.csv"));
        assertEquals(STEPS / EVAL_EVERY, evals.size(), "one row per evaluation");
        for (int i = 0; i < evals.size(); i++) {
            assertEquals(String.valueOf((i + 1) * EVAL_EVERY), evals.get(i)[0]);
        }
        try (Stream<Path> files = Files.walk(out)) {
            List<Path> tmp = files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
            assertTrue(tmp.isEmpty(), "temporary files left: " + tmp);
        }
        for (String ck : List.of("best.ckpt", "latest.ckpt")) {
            Checkpoint.read(out.resolve("checkpoints").resolve(ck));
        }
        strictJson(out.resolve("run.json"));
        JsonObject summary = strictJson(out.resolve("summary.json")).getAsJsonObject();
        assertEquals(STEPS, summary.get("steps").getAsLong());
        assertEquals(Double.parseDouble(expected.get(STEPS - 1)[1]), summary.get("lastLoss").getAsDouble(), 1e-6);
        double seconds = summary.get("seconds").getAsDouble();

        // resuming a finished run changes no history and keeps the summary valid
        List<String> stepsBefore = Files.readAllLines(out.resolve("steps.csv"));
        List<String> evalsBefore = Files.readAllLines(out.resolve("evaluations.csv"));
        assertEquals(0, finish(start(out, true, log), log));
        assertEquals(stepsBefore, Files.readAllLines(out.resolve("steps.csv")));
        assertEquals(evalsBefore, Files.readAllLines(out.resolve("evaluations.csv")));
        JsonObject again = strictJson(out.resolve("summary.json")).getAsJsonObject();
        assertEquals(summary.get("lastLoss"), again.get("lastLoss"));
        assertTrue(again.get("seconds").getAsDouble() >= seconds, "the run's time covers every segment");
    }
}
