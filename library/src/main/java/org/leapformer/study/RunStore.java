package org.leapformer.study;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.leapformer.data.AtomicFiles;

/**
 * The finished runs of a study folder: one JSON file per run in {@code DIR/runs/}, named by its key
 * (task, method, learning rate, model seed, scale) and written atomically, so a file there is a
 * whole finished run and an interrupted study resumes by reading it instead of training again.
 */
public final class RunStore {

    static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();

    private final Path dir;

    public RunStore(Path studyDir) {
        this.dir = studyDir.resolve("runs");
    }

    /** The file of a run's record. */
    public Path file(StudyTask.Run r) {
        return dir.resolve(r.task() + "__" + r.method() + "__lr" + r.learningRate() + "__seed" + r.seed() + "__"
                + r.scale().name() + ".json");
    }

    /** The recorded outcome of {@code r}, or null when it has not finished. */
    public StudyTask.Outcome read(StudyTask.Run r) {
        Path f = file(r);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        JsonObject o;
        try {
            o = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the run record " + f, e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("run record " + f + ": expected a JSON object written by a study, found "
                    + "unreadable content (" + e.getMessage() + "); delete it to train the run again", e);
        }
        org.leapformer.model.Json j = new org.leapformer.model.Json("run record " + f, o);
        long dataSeed = j.longValue("dataSeed");
        if (dataSeed != r.dataSeed()) {
            throw new IllegalStateException("run record " + f + ": expected data seed " + r.dataSeed() + ", found "
                    + dataSeed + " (a study folder holds one data seed; use another --out)");
        }
        double factor = new org.leapformer.model.Json("run record " + f + " scale", j.object("scale")).real("factor");
        if (factor != r.scale().factor()) {
            throw new IllegalStateException("run record " + f + ": expected scale factor " + r.scale().factor()
                    + ", found " + factor);
        }
        return new StudyTask.Outcome(metrics(j.object("validation")), metrics(j.object("test")),
                j.longValue("parameters"), j.longValue("steps"), j.real("seconds"));
    }

    /** Records a finished run (whole or not at all). */
    public void write(StudyTask.Run r, StudyTask.Outcome outcome) {
        JsonObject o = toJson(r, outcome);
        AtomicFiles.write(file(r), w -> w.write(GSON.toJson(o) + "\n"));
    }

    static JsonObject toJson(StudyTask.Run r, StudyTask.Outcome outcome) {
        JsonObject o = new JsonObject();
        o.addProperty("task", r.task());
        o.addProperty("method", r.method());
        o.addProperty("learningRate", r.learningRate());
        o.addProperty("seed", r.seed());
        o.addProperty("dataSeed", r.dataSeed());
        JsonObject scale = new JsonObject();
        scale.addProperty("name", r.scale().name());
        scale.addProperty("factor", r.scale().factor());
        o.add("scale", scale);
        o.add("validation", json(outcome.validation()));
        o.add("test", json(outcome.test()));
        o.addProperty("parameters", outcome.parameters());
        o.addProperty("steps", outcome.steps());
        o.addProperty("seconds", outcome.seconds());
        return o;
    }

    /** Metrics as JSON; a value that is not finite is written as null (JSON has no NaN). */
    static JsonObject json(Map<String, Double> m) {
        JsonObject o = new JsonObject();
        m.forEach((k, v) -> o.add(k, number(v)));
        return o;
    }

    static JsonElement number(double v) {
        return org.leapformer.model.Json.number(v);
    }

    static Map<String, Double> metrics(JsonObject o) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (o != null) {
            o.entrySet().forEach(e -> m.put(e.getKey(), e.getValue().isJsonNull() ? Double.NaN
                    : e.getValue().getAsDouble()));
        }
        return m;
    }
}
