package org.leapformer.study;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * results.md, generated from study.json alone (a pure function of it), so any table in the
 * README or the docs can be checked against the JSON it came from.
 */
public final class StudyReport {

    private StudyReport() {}

    /** The markdown of a study.json file. */
    public static String markdown(Path studyJson) {
        try {
            return markdown(JsonParser.parseString(Files.readString(studyJson, StandardCharsets.UTF_8))
                    .getAsJsonObject());
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + studyJson, e);
        }
    }

    /** The markdown of a study record ({@link Study#FORMAT}). */
    public static String markdown(JsonObject s) {
        String format = s.has("format") ? s.get("format").getAsString() : "none";
        if (!Study.FORMAT.equals(format)) {
            throw new IllegalArgumentException("study record: expected format " + Study.FORMAT + ", found " + format);
        }
        StringBuilder b = new StringBuilder("# Study: ");
        b.append(String.join(", ", strings(s.getAsJsonArray("methods")))).append(" at scale ")
                .append(s.getAsJsonObject("scale").get("name").getAsString()).append("\n\n");
        JsonObject m = s.getAsJsonObject("machine");
        b.append("Commit `").append(s.get("commit").getAsString()).append('`')
                .append(s.has("uncommittedChanges") && s.get("uncommittedChanges").getAsBoolean()
                        ? " (with uncommitted changes)" : "")
                .append("; ").append(m.get("cpu").getAsString())
                .append(m.has("cores") ? ", " + m.get("cores").getAsInt() + " cores" : "")
                .append(", ").append(m.get("hardwareThreads").getAsInt()).append(" hardware threads, engine threads ")
                .append(m.get("engineThreads").getAsString()).append(", allocator ")
                .append(m.get("allocator").getAsString()).append("; ").append(m.get("engine").getAsString())
                .append(".\n\n");
        List<String> seeds = strings(s.getAsJsonArray("seeds"));
        b.append("Protocol: for each task and method, the learning rate is chosen on validation with model seed ")
                .append(s.get("tuningSeed").getAsString()).append(" from ")
                .append(String.join(", ", strings(s.getAsJsonArray("learningRates"))))
                .append("; then model seeds ").append(String.join(", ", seeds))
                .append(" are trained at that rate (seed s gives every method the same shared initial weights and "
                        + "the same batches). Data seed ").append(s.get("dataSeed").getAsString())
                .append(" for every run. Test metrics are of each run's checkpoint chosen on validation. "
                        + "Differences are paired by seed, with 95% Student-t intervals (n − 1 degrees of freedom). ")
                .append(String.format(Locale.ROOT, "Training time of all runs: %.0f s.%n%n",
                        s.get("trainingSeconds").getAsDouble()));
        for (JsonElement te : s.getAsJsonArray("tasks")) {
            JsonObject t = te.getAsJsonObject();
            String metric = t.get("metric").getAsString();
            String vmetric = t.get("validationMetric").getAsString();
            boolean higher = t.get("higherIsBetter").getAsBoolean();
            b.append("## ").append(t.get("name").getAsString()).append("\n\n")
                    .append(t.get("description").getAsString()).append(". Test ").append(metric).append(": ")
                    .append(higher ? "higher" : "lower").append(" is better.\n\n");
            b.append("| method | rate | test ").append(metric).append(" mean ± SD | validation ").append(vmetric)
                    .append(" mean ± SD | parameters | steps/s | tokens/s |\n|---|---|---|---|---|---|---|\n");
            for (JsonElement me : t.getAsJsonArray("methods")) {
                JsonObject mo = me.getAsJsonObject();
                JsonObject tp = mo.has("throughput") ? mo.getAsJsonObject("throughput") : null;
                b.append("| ").append(mo.get("method").getAsString()).append(" | ")
                        .append(mo.get("learningRate").getAsString()).append(" | ")
                        .append(meanSd(mo.getAsJsonObject("test"))).append(" | ")
                        .append(meanSd(mo.getAsJsonObject("validation"))).append(" | ")
                        .append(String.format(Locale.ROOT, "%,d", mo.get("parameters").getAsLong())).append(" | ")
                        .append(tp == null ? "not timed" : String.format(Locale.ROOT, "%.2f",
                                tp.get("stepsPerSecond").getAsDouble()))
                        .append(" | ")
                        .append(tp == null ? "not timed" : String.format(Locale.ROOT, "%,.0f",
                                tp.get("tokensPerSecond").getAsDouble()))
                        .append(" |\n");
            }
            StringBuilder longer = new StringBuilder();
            for (JsonElement me : t.getAsJsonArray("methods")) {
                JsonObject mo = me.getAsJsonObject();
                if (mo.has("throughputAtLength")) {
                    for (JsonElement le : mo.getAsJsonArray("throughputAtLength")) {
                        JsonObject lo = le.getAsJsonObject();
                        longer.append("| ").append(mo.get("method").getAsString()).append(" | ")
                                .append(lo.get("length").getAsInt()).append(" | ")
                                .append(String.format(Locale.ROOT, "%.2f", lo.get("stepsPerSecond").getAsDouble()))
                                .append(" | ").append(String.format(Locale.ROOT, "%,.0f",
                                        lo.get("tokensPerSecond").getAsDouble())).append(" |\n");
                    }
                }
            }
            if (longer.length() > 0) {
                b.append("\nTraining throughput at longer inputs (timed alone, as the paper's LRA figure):\n\n"
                        + "| method | input tokens | steps/s | tokens/s |\n|---|---|---|---|\n").append(longer);
            }
            b.append("\nPaired differences of the test ").append(metric).append(" (a − b, same seeds):\n\n");
            pairTable(b, t.getAsJsonArray("pairs"));
            if (t.has("discrimination")) {
                JsonObject d = t.getAsJsonObject("discrimination");
                b.append("\nDoes this task tell the methods apart? ")
                        .append(d.get("passes").getAsBoolean() ? "**Yes**: " : "**No**: ")
                        .append(d.get("reason").getAsString()).append(" (rule: ").append(d.get("rule").getAsString())
                        .append(").\n");
            }
            JsonArray secondary = t.has("secondaryMetrics") ? t.getAsJsonArray("secondaryMetrics") : new JsonArray();
            if (secondary.size() > 0) {
                b.append("\nFurther test metrics (mean ± SD over the seeds; n/a where a method has none):\n\n| method |");
                StringBuilder rule = new StringBuilder("|---|");
                for (JsonElement se : secondary) {
                    JsonObject so = se.getAsJsonObject();
                    b.append(' ').append(so.get("name").getAsString()).append(" (")
                            .append(so.get("higherIsBetter").getAsBoolean() ? "higher" : "lower").append(" is better) |");
                    rule.append("---|");
                }
                b.append('\n').append(rule).append('\n');
                for (JsonElement me : t.getAsJsonArray("methods")) {
                    JsonObject mo = me.getAsJsonObject();
                    b.append("| ").append(mo.get("method").getAsString()).append(" |");
                    for (JsonElement se : secondary) {
                        String name = se.getAsJsonObject().get("name").getAsString();
                        JsonObject sum = mo.getAsJsonObject("secondary").getAsJsonObject(name);
                        b.append(' ').append(meanSd(sum)).append(" |");
                    }
                    b.append('\n');
                }
                b.append('\n');
                for (JsonElement se : secondary) {
                    JsonObject so = se.getAsJsonObject();
                    b.append("- `").append(so.get("name").getAsString()).append("`: ")
                            .append(so.get("description").getAsString()).append('\n');
                }
                for (JsonElement se : secondary) {
                    String name = se.getAsJsonObject().get("name").getAsString();
                    JsonArray pairs = t.getAsJsonObject("secondaryPairs").getAsJsonArray(name);
                    if (pairs.size() == 0) {
                        continue;
                    }
                    b.append("\nPaired differences of the test ").append(name).append(" (a − b, same seeds):\n\n");
                    pairTable(b, pairs);
                }
            }
            b.append("\nTuning (validation ").append(vmetric).append(", seed ").append(s.get("tuningSeed").getAsString())
                    .append("; the chosen rate in bold):\n\n| method |");
            JsonArray rates = s.getAsJsonArray("learningRates");
            StringBuilder rule = new StringBuilder("|---|");
            for (JsonElement r : rates) {
                b.append(" lr ").append(r.getAsString()).append(" |");
                rule.append("---|");
            }
            b.append('\n').append(rule).append('\n');
            for (JsonElement me : t.getAsJsonArray("methods")) {
                JsonObject mo = me.getAsJsonObject();
                b.append("| ").append(mo.get("method").getAsString()).append(" |");
                double chosen = mo.get("learningRate").getAsDouble();
                for (JsonElement tu : mo.getAsJsonArray("tuning")) {
                    JsonObject tuo = tu.getAsJsonObject();
                    boolean isChosen = tuo.get("learningRate").getAsDouble() == chosen;
                    b.append(' ').append(isChosen ? "**" : "").append(num(tuo.get("validation")))
                            .append(isChosen ? "**" : "").append(" |");
                }
                b.append('\n');
            }
            b.append("\nTest ").append(metric).append(" per seed:\n\n| method |");
            rule = new StringBuilder("|---|");
            for (String seed : seeds) {
                b.append(" seed ").append(seed).append(" |");
                rule.append("---|");
            }
            b.append('\n').append(rule).append('\n');
            for (JsonElement me : t.getAsJsonArray("methods")) {
                JsonObject mo = me.getAsJsonObject();
                b.append("| ").append(mo.get("method").getAsString()).append(" |");
                for (JsonElement v : mo.getAsJsonObject("test").getAsJsonArray("values")) {
                    b.append(' ').append(num(v)).append(" |");
                }
                b.append('\n');
            }
            b.append('\n');
        }
        b.append("Throughput: each method's training steps timed alone at the end of the study (not from the runs, "
                + "which share the CPU), median of the timed steps after warm-up; tokens/s are input tokens.\n");
        return b.toString();
    }

    private static void pairTable(StringBuilder b, JsonArray pairs) {
        b.append("| a − b | mean difference | 95% interval | better |\n|---|---|---|---|\n");
        for (JsonElement pe : pairs) {
            JsonObject p = pe.getAsJsonObject();
            String better = p.get("better").getAsString();
            b.append("| ").append(p.get("a").getAsString()).append(" − ").append(p.get("b").getAsString())
                    .append(" | ").append(num(p.get("meanDifference"))).append(" | [")
                    .append(num(p.get("low"))).append(", ").append(num(p.get("high"))).append("] | ")
                    .append(better.equals("neither") ? "neither (the interval contains 0)" : better)
                    .append(p.has("zeroSpread") && p.get("zeroSpread").getAsBoolean()
                            ? " (every seed's difference equal: no spread)" : "")
                    .append(" |\n");
        }
    }

    private static String meanSd(JsonObject o) {
        return num(o.get("mean")) + " ± " + num(o.get("sd"));
    }

    /** Four decimals; "n/a" for a value JSON could not hold (null: not finite). */
    static String num(JsonElement e) {
        return e == null || e.isJsonNull() ? "n/a" : String.format(Locale.ROOT, "%.4f", e.getAsDouble());
    }

    private static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }
}
