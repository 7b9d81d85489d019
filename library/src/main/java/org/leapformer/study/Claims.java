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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * The paper's claims, one table each, generated from recorded studies ({@link Study} records,
 * {@code study.json}) and nothing else: LeaP against cosFormer with the length known and unknown,
 * against ReLU-linear and against softmax on every task the studies hold; the quality–latency
 * curves of wait-k translation; the quality–throughput trade-off. Every row is a paired
 * comparison over the same seeds, with its 95% interval, and says whether its task can tell the
 * methods apart ({@link Study#discrimination}); only rows on such tasks decide a verdict.
 *
 * <p>The markdown is a pure function of the records (and their paths as given), so a test can
 * regenerate it and compare; {@link #fragment} gives the single blocks the README and tutorials
 * embed between {@code <!-- study:... -->} markers.
 */
public final class Claims {

    /** The method every claim is about. */
    public static final String LEAP = "leap";

    private final List<Source> sources;

    /** A study record and the path it was read from (as written in the document). */
    public record Source(String path, JsonObject study) {}

    private Claims(List<Source> sources) {
        this.sources = List.copyOf(sources);
    }

    /** Reads study.json files; {@code shownAs} is each one's path as the document names it. */
    public static Claims read(List<Path> files, List<String> shownAs) {
        if (files.size() != shownAs.size()) {
            throw new IllegalArgumentException("claims: expected one shown path per study file, found " + files.size()
                    + " files and " + shownAs.size() + " paths");
        }
        List<Source> out = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            out.add(new Source(shownAs.get(i), parse(files.get(i))));
        }
        return new Claims(out);
    }

    /** Claims over records already in memory. */
    public static Claims of(List<Source> sources) {
        return new Claims(sources);
    }

    static JsonObject parse(Path file) {
        JsonObject o;
        try {
            o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("claims: cannot read the study record " + file, e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("claims: expected a study record (JSON) in " + file + ", found "
                    + "unreadable content: " + e.getMessage(), e);
        }
        String format = o.has("format") ? o.get("format").getAsString() : "none";
        if (!Study.FORMAT.equals(format)) {
            throw new IllegalArgumentException("claims: expected a study record of format " + Study.FORMAT + " in "
                    + file + ", found " + format);
        }
        return o;
    }

    /** A task of one of the studies, with the study it came from. */
    record Task(Source source, JsonObject task) {
        String name() {
            return task.get("name").getAsString();
        }

        String metric() {
            return task.get("metric").getAsString();
        }

        boolean higher() {
            return task.get("higherIsBetter").getAsBoolean();
        }

        JsonObject method(String m) {
            for (JsonElement e : task.getAsJsonArray("methods")) {
                if (e.getAsJsonObject().get("method").getAsString().equals(m)) {
                    return e.getAsJsonObject();
                }
            }
            return null;
        }

        List<String> methods() {
            List<String> out = new ArrayList<>();
            task.getAsJsonArray("methods").forEach(e -> out.add(e.getAsJsonObject().get("method").getAsString()));
            return out;
        }

        /** The summary of a metric (the main one or a secondary one) of a method, or null. */
        JsonObject summary(String method, String metric) {
            JsonObject m = method(method);
            if (m == null) {
                return null;
            }
            if (metric.equals(metric())) {
                return m.getAsJsonObject("test");
            }
            JsonObject sec = m.has("secondary") ? m.getAsJsonObject("secondary") : null;
            return sec != null && sec.has(metric) ? sec.getAsJsonObject(metric) : null;
        }

        boolean higher(String metric) {
            if (metric.equals(metric())) {
                return higher();
            }
            for (JsonElement e : task.getAsJsonArray("secondaryMetrics")) {
                JsonObject o = e.getAsJsonObject();
                if (o.get("name").getAsString().equals(metric)) {
                    return o.get("higherIsBetter").getAsBoolean();
                }
            }
            throw new IllegalArgumentException("claims: task " + name() + " has no metric " + metric);
        }

        /** The recorded pair of {@code a} and {@code b} on a metric, turned to read a − b; null if none. */
        JsonObject pair(String a, String b, String metric) {
            JsonArray pairs = metric.equals(metric()) ? task.getAsJsonArray("pairs")
                    : task.has("secondaryPairs") && task.getAsJsonObject("secondaryPairs").has(metric)
                            ? task.getAsJsonObject("secondaryPairs").getAsJsonArray(metric) : new JsonArray();
            for (JsonElement e : pairs) {
                JsonObject p = e.getAsJsonObject();
                String pa = p.get("a").getAsString();
                String pb = p.get("b").getAsString();
                if (pa.equals(a) && pb.equals(b)) {
                    return p;
                }
                if (pa.equals(b) && pb.equals(a)) {
                    JsonObject q = p.deepCopy();
                    q.addProperty("a", a);
                    q.addProperty("b", b);
                    q.add("meanDifference", negate(p.get("meanDifference")));
                    q.add("low", negate(p.get("high")));
                    q.add("high", negate(p.get("low")));
                    return q;
                }
            }
            return null;
        }

        /** The discrimination test of a metric: the recorded one for the main metric, recomputed otherwise. */
        JsonObject discrimination(String metric) {
            if (metric.equals(metric()) && task.has("discrimination")) {
                return task.getAsJsonObject("discrimination");
            }
            Map<String, double[]> bySeed = new LinkedHashMap<>();
            for (String m : methods()) {
                JsonObject s = summary(m, metric);
                if (s != null && s.has("values")) {
                    bySeed.put(m, values(s.getAsJsonArray("values")));
                }
            }
            OptionalDouble ceiling = metric.equals(metric()) && task.has("discrimination")
                    && task.getAsJsonObject("discrimination").has("ceiling")
                    ? OptionalDouble.of(task.getAsJsonObject("discrimination").get("ceiling").getAsDouble())
                    : OptionalDouble.empty();
            return Study.discrimination(bySeed, metric, higher(metric), ceiling);
        }
    }

    private static JsonElement negate(JsonElement e) {
        return e == null || e.isJsonNull() ? e : RunStore.number(-e.getAsDouble());
    }

    private static double[] values(JsonArray a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).isJsonNull() ? Double.NaN : a.get(i).getAsDouble();
        }
        return v;
    }

    List<Task> tasks() {
        List<Task> out = new ArrayList<>();
        for (Source s : sources) {
            for (JsonElement e : s.study().getAsJsonArray("tasks")) {
                out.add(new Task(s, e.getAsJsonObject()));
            }
        }
        return out;
    }

    Task task(String name) {
        for (Task t : tasks()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** One comparison row of a claim: LeaP against {@code other} on a task's metric. */
    record Row(Task task, String metric, String label, String other) {}

    /** The whole document (docs/claims.md). */
    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# The paper's claims at our scale\n\n")
                .append("Generated by `leapformer claims` from the recorded studies below (their `study.json`, "
                        + "nothing else); a test regenerates this page and fails if it differs. Every row is a "
                        + "**paired** comparison: the same model seeds give both methods the same shared initial "
                        + "weights and the same batches; the difference is LeaP − other, averaged over the seeds, "
                        + "with its 95% Student-t interval. Each method ran at its own learning rate, chosen on "
                        + "validation with the first seed from the study's grid.\n\n")
                .append("A row decides a verdict only if its task **tells the methods apart** on that metric: the "
                        + "best and worst methods at least " + fmt0(Study.DISCRIMINATION_SDS) + " seed SDs apart and "
                        + "none within " + fmt0(Study.CEILING_MARGIN * 100) + "% of the ceiling. Rows on other tasks are "
                        + "shown, marked, and do not count.\n\n");
        b.append("## The studies\n\n| record | commit | machine | scale | seeds | rates | data seed |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (Source s : sources) {
            JsonObject st = s.study();
            JsonObject m = st.getAsJsonObject("machine");
            b.append("| `").append(s.path()).append("` | `").append(shortCommit(st)).append("` | ")
                    .append(m.get("cpu").getAsString()).append(", engine threads ")
                    .append(m.get("engineThreads").getAsString()).append(", allocator ")
                    .append(m.get("allocator").getAsString()).append(" | ")
                    .append(st.getAsJsonObject("scale").get("name").getAsString()).append(" | ")
                    .append(join(st.getAsJsonArray("seeds"))).append(" | ").append(join(st.getAsJsonArray("learningRates")))
                    .append(" | ").append(st.get("dataSeed").getAsString()).append(" |\n");
        }
        b.append("\n## Which tasks can tell the methods apart\n\n")
                .append("| task | metric | best | worst | gap in seed SDs | at the ceiling | tells them apart |\n"
                        + "|---|---|---|---|---|---|---|\n");
        for (Task t : tasks()) {
            for (String metric : metricsOf(t)) {
                JsonObject d = t.discrimination(metric);
                b.append("| ").append(t.name()).append(" | ").append(metric).append(" | ")
                        .append(str(d, "best")).append(" | ").append(str(d, "worst")).append(" | ")
                        .append(d.has("gapInSds") ? num(d.get("gapInSds"), 1) : "n/a").append(" | ")
                        .append(d.has("atCeiling") && d.getAsJsonArray("atCeiling").size() > 0
                                ? join(d.getAsJsonArray("atCeiling")) : "none")
                        .append(" | ").append(d.get("passes").getAsBoolean() ? "yes" : "**no**").append(" |\n");
            }
        }
        b.append('\n');
        String[] claims = {"claim:cosformer-known", "claim:cosformer-unknown", "claim:relu", "claim:softmax"};
        b.append("## In short\n\n");
        for (String c : claims) {
            String section = fragment(c);
            String title = section.substring(3, section.indexOf('\n'));
            b.append("- **").append(title).append(".** ").append(conclusion(section)).append('\n');
        }
        b.append('\n');
        for (String c : claims) {
            b.append(fragment(c)).append('\n');
        }
        b.append(fragment("latency"));
        List<String> figures = new ArrayList<>(figures().keySet()); // rendered once, for both lists
        for (String f : figures) {
            if (f.startsWith("claims-latency-")) {
                b.append("![BLEU against average lagging, ").append(f).append("](figures/").append(f).append(")\n\n");
            }
        }
        b.append('\n').append(fragment("throughput"));
        for (String f : figures) {
            if (f.startsWith("claims-throughput-")) {
                b.append("![test metric against training throughput, ").append(f).append("](figures/").append(f)
                        .append(")\n\n");
            }
        }
        return b.toString();
    }

    private static List<String> metricsOf(Task t) {
        List<String> out = new ArrayList<>(List.of(t.metric()));
        if (t.task().has("secondaryMetrics")) {
            for (JsonElement e : t.task().getAsJsonArray("secondaryMetrics")) {
                String n = e.getAsJsonObject().get("name").getAsString();
                if (n.startsWith("loss_")) { // the quality metrics; lagging and exact match describe, not rank
                    out.add(n);
                }
            }
        }
        return out;
    }

    /**
     * A named block of the document: {@code claim:cosformer-known}, {@code claim:cosformer-unknown},
     * {@code claim:relu}, {@code claim:softmax}, {@code latency}, {@code throughput}, or
     * {@code task:NAME} (a task's summary table: method, rate, test metric mean ± SD, parameters).
     */
    public String fragment(String name) {
        switch (name) {
            case "claim:cosformer-known":
                return claim("LeaP against cosFormer, the length known", "cosformer", known(),
                        "The paper: LeaP matches or beats cosFormer where cosFormer is given the sequence length "
                                + "it needs (bidirectional ListOps, a causal model at its training length, or the "
                                + "oracle N = L past it).", true);
            case "claim:cosformer-unknown":
                return claim("LeaP against cosFormer, the length unknown", "cosformer", unknown(),
                        "The paper's central claim: a causal cosFormer needs the sequence length N, which a "
                                + "stream does not know; kept at the training length it breaks past it, while "
                                + "LeaP's learned proportions need no N.", true);
            case "claim:relu":
                return claim("LeaP against ReLU-linear attention", "relu", all("relu"),
                        "The paper: LeaP's re-weighting improves on plain ReLU linear attention (the same "
                                + "features without it).", true);
            case "claim:softmax":
                return claim("LeaP against softmax attention", "softmax", all("softmax"),
                        "The paper: LeaP comes close to softmax attention at a fraction of its cost on long "
                                + "sequences (competitive, not better).", false);
            case "records":
                return records();
            case "latency":
                return latency();
            case "throughput":
                return throughput();
            default:
                if (name.startsWith("task:")) {
                    Task t = task(name.substring("task:".length()));
                    if (t == null) {
                        throw new IllegalArgumentException("claims fragment " + name + ": expected a task of "
                                + tasks().stream().map(Task::name).toList() + ", found none named so");
                    }
                    return taskTable(t);
                }
                throw new IllegalArgumentException("claims fragment: expected claim:cosformer-known, "
                        + "claim:cosformer-unknown, claim:relu, claim:softmax, records, latency, throughput or task:NAME, "
                        + "found '" + name + "'");
        }
    }

    /** {@code loss_4x} → "loss at 4×", {@code loss_16x_known} → "loss at 16× (N = L)"; others as they are. */
    static String label(String metric) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("loss_(\\d+)x(_known)?").matcher(metric);
        if (!m.matches()) {
            return metric;
        }
        return "loss at " + m.group(1) + "×" + (m.group(2) != null ? " (N = L)" : "");
    }

    private List<Row> known() {
        List<Row> rows = new ArrayList<>();
        for (Task t : tasks()) {
            if (t.method(LEAP) == null || t.method("cosformer") == null) {
                continue;
            }
            rows.add(new Row(t, t.metric(), t.metric() + (t.name().equals("lm") ? " at 1× (N = T)" : ""),
                    "cosformer"));
            for (String m : metricsOf(t)) {
                if (m.endsWith("_known")) {
                    rows.add(new Row(t, m, label(m), "cosformer"));
                }
            }
        }
        return rows;
    }

    private List<Row> unknown() {
        List<Row> rows = new ArrayList<>();
        for (Task t : tasks()) {
            if (t.method(LEAP) == null || t.method("cosformer") == null) {
                continue;
            }
            for (String m : metricsOf(t)) {
                if (m.startsWith("loss_") && !m.endsWith("_known")) {
                    rows.add(new Row(t, m, label(m) + " (N = T kept)", "cosformer"));
                }
            }
        }
        return rows;
    }

    private List<Row> all(String other) {
        List<Row> rows = new ArrayList<>();
        for (Task t : tasks()) {
            if (t.method(LEAP) == null || t.method(other) == null) {
                continue;
            }
            // past the training length: the length-known losses (the same numbers for methods that take no
            // N), so that whether the task tells methods apart is not decided by cosFormer without its N
            for (String m : metricsOf(t)) {
                if (m.equals(t.metric())) {
                    rows.add(new Row(t, m, m, other));
                } else if (m.endsWith("_known")) {
                    rows.add(new Row(t, m, label(m).replace(" (N = L)", ""), other));
                } else if (!metricsOf(t).contains(m + "_known")) {
                    rows.add(new Row(t, m, label(m), other));
                }
            }
        }
        return rows;
    }

    private String claim(String title, String other, List<Row> rows, String paper, boolean leapShouldWin) {
        StringBuilder b = new StringBuilder("## ").append(title).append("\n\n").append(paper).append("\n\n");
        if (rows.isEmpty()) {
            return b.append("No recorded study compares LeaP with ").append(other).append(".\n").toString();
        }
        b.append("| task | metric | LeaP | ").append(other).append(" | LeaP − ").append(other)
                .append(" [95% interval] | better | task tells methods apart | rates (LeaP / ").append(other)
                .append(") |\n|---|---|---|---|---|---|---|---|\n");
        List<String> leapBetter = new ArrayList<>();
        List<String> otherBetter = new ArrayList<>();
        List<String> neither = new ArrayList<>();
        List<String> undecided = new ArrayList<>();
        List<String> hintLeap = new ArrayList<>();
        List<String> hintOther = new ArrayList<>();
        for (Row r : rows) {
            JsonObject p = r.task().pair(LEAP, other, r.metric());
            JsonObject d = r.task().discrimination(r.metric());
            boolean decides = d.get("passes").getAsBoolean();
            String better = p == null ? "not recorded" : p.get("better").getAsString();
            String where = r.task().name() + " " + r.label();
            if (!decides || p == null) {
                undecided.add(where);
                if (better.equals(LEAP)) {
                    hintLeap.add(where);
                } else if (better.equals(other)) {
                    hintOther.add(where);
                }
            } else if (better.equals(LEAP)) {
                leapBetter.add(where);
            } else if (better.equals(other)) {
                otherBetter.add(where);
            } else {
                neither.add(where);
            }
            b.append("| ").append(r.task().name()).append(" | ").append(r.label()).append(r.task().higher(r.metric())
                    ? " (↑)" : " (↓)").append(" | ").append(meanSd(r.task().summary(LEAP, r.metric()))).append(" | ")
                    .append(meanSd(r.task().summary(other, r.metric()))).append(" | ")
                    .append(p == null ? "n/a" : num(p.get("meanDifference"), 4) + " [" + num(p.get("low"), 4) + ", "
                            + num(p.get("high"), 4) + "]")
                    .append(" | ").append(better.equals("neither") ? "neither" : better).append(" | ")
                    .append(decides ? "yes" : "no: " + d.get("reason").getAsString()).append(" | ")
                    .append(rate(r.task(), LEAP)).append(" / ").append(rate(r.task(), other)).append(" |\n");
        }
        b.append("\n**Verdict.** ");
        if (leapBetter.isEmpty() && otherBetter.isEmpty() && neither.isEmpty()) {
            b.append("Nothing decided: no row is on a task that tells the methods apart.");
        } else {
            List<String> parts = new ArrayList<>();
            if (!leapBetter.isEmpty()) {
                parts.add("LeaP is better on " + String.join("; ", leapBetter));
            }
            if (!neither.isEmpty()) {
                parts.add("no difference is detected on " + String.join("; ", neither));
            }
            if (!otherBetter.isEmpty()) {
                parts.add(other + " is better on " + String.join("; ", otherBetter));
            }
            String said = String.join(", ", parts);
            b.append(Character.toUpperCase(said.charAt(0))).append(said.substring(1)).append(". ");
            if (leapShouldWin) {
                b.append(otherBetter.isEmpty() && !leapBetter.isEmpty() ? "The claim holds here"
                        : otherBetter.isEmpty() ? "The claim is not shown here (no significant difference)"
                                : leapBetter.isEmpty() ? "The claim does not hold here"
                                        : "The claim holds on some tasks and not on others");
            } else {
                b.append(leapBetter.isEmpty() && otherBetter.isEmpty() ? "LeaP is competitive here"
                        : otherBetter.isEmpty() ? "LeaP is at least competitive here"
                                : "LeaP falls short of " + other + " where it is better");
            }
            b.append('.');
        }
        if (!undecided.isEmpty()) {
            b.append(" Not deciding (the task cannot tell the methods apart, or the pair was not recorded): ")
                    .append(String.join("; ", undecided)).append('.');
            if (!hintLeap.isEmpty() || !hintOther.isEmpty()) {
                b.append(" Among those, the paired interval excludes 0 for LeaP on ")
                        .append(hintLeap.isEmpty() ? "none" : String.join("; ", hintLeap)).append(" and for ")
                        .append(other).append(" on ").append(hintOther.isEmpty() ? "none" : String.join("; ", hintOther))
                        .append(": an indication, not a verdict.");
            }
        }
        return b.append('\n').toString();
    }

    /** What each record holds and what it cost: tasks, methods, runs, training time, commit, machine. */
    private String records() {
        StringBuilder b = new StringBuilder("| record | tasks | methods | runs | training time | commit | machine |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (Source s : sources) {
            JsonObject st = s.study();
            List<String> names = new ArrayList<>();
            st.getAsJsonArray("tasks").forEach(t -> names.add(t.getAsJsonObject().get("name").getAsString()));
            JsonObject m = st.getAsJsonObject("machine");
            b.append("| `").append(s.path()).append("` | ").append(String.join(", ", names)).append(" | ")
                    .append(join(st.getAsJsonArray("methods"))).append(" | ").append(st.getAsJsonArray("runs").size())
                    .append(" | ").append(String.format(Locale.ROOT, "%.0f min", st.get("trainingSeconds").getAsDouble()
                            / 60)).append(" | `").append(shortCommit(st)).append("` | ").append(m.get("cpu").getAsString())
                    .append(", ").append(m.get("hardwareThreads").getAsInt()).append(" hardware threads, engine threads ")
                    .append(m.get("engineThreads").getAsString()).append(" |\n");
        }
        return b.toString();
    }

    /** wait-k families: the task name without {@code -waitK} → k (∞ last) → task. */
    private Map<String, Map<Double, Task>> families() {
        Map<String, Map<Double, Task>> families = new LinkedHashMap<>();
        for (Task t : tasks()) {
            int i = t.name().lastIndexOf("-wait");
            if (!t.name().startsWith("simul") || i < 0) {
                continue;
            }
            String k = t.name().substring(i + "-wait".length());
            double kv = k.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(k);
            families.computeIfAbsent(t.name().substring(0, i), f -> new TreeMap<>()).put(kv, t);
        }
        return families;
    }

    /**
     * The figures of the page, by file name (docs/figures/): {@code claims-latency-FAMILY.svg}
     * (BLEU against average lagging, one line per method, ± one seed SD) and
     * {@code claims-throughput-TASK.svg} for each task timed at long inputs (test metric against
     * training tokens/s at the longest, one point per method, ± one seed SD).
     */
    public Map<String, String> figures() {
        Map<String, String> out = new LinkedHashMap<>();
        for (var f : families().entrySet()) {
            Map<String, List<SvgChart.Point>> byMethod = new LinkedHashMap<>();
            for (var e : f.getValue().entrySet()) {
                Task t = e.getValue();
                for (String m : t.methods()) {
                    JsonObject bleu = t.summary(m, t.metric());
                    JsonObject al = t.summary(m, "average_lagging");
                    if (bleu == null || al == null) {
                        continue;
                    }
                    byMethod.computeIfAbsent(m, x -> new ArrayList<>()).add(new SvgChart.Point(d(al.get("mean")),
                            d(bleu.get("mean")), d(bleu.get("sd")), "k=" + (e.getKey().isInfinite() ? "∞"
                                    : fmt0(e.getKey()))));
                }
            }
            List<SvgChart.Series> series = new ArrayList<>();
            byMethod.forEach((m, pts) -> series.add(new SvgChart.Series(m, pts, true)));
            out.put("claims-latency-" + f.getKey() + ".svg", SvgChart.render(f.getKey() + ": BLEU against latency "
                    + "(mean ± SD over seeds)", "average lagging (source words)", "test BLEU", series));
        }
        for (Task t : tasks()) {
            // as the paper's LRA figure: the speed at the longest inputs timed, else at the task's own
            List<Integer> lengths = longLengths(t);
            if (lengths.isEmpty()) { // only the tasks timed at long inputs: the figure is about those
                continue;
            }
            Integer longest = lengths.get(lengths.size() - 1);
            List<SvgChart.Series> series = new ArrayList<>();
            for (String m : t.methods()) {
                JsonObject mo = t.method(m);
                JsonObject tp = longest != null ? atLength(mo, longest)
                        : mo.has("throughput") ? mo.getAsJsonObject("throughput") : null;
                if (tp == null) {
                    continue;
                }
                JsonObject test = mo.getAsJsonObject("test");
                series.add(new SvgChart.Series(m, List.of(new SvgChart.Point(tp.get("tokensPerSecond").getAsDouble(),
                        d(test.get("mean")), d(test.get("sd")), m)), false));
            }
            if (!series.isEmpty()) {
                out.put("claims-throughput-" + t.name() + ".svg", SvgChart.render(t.name() + ": test " + t.metric()
                        + " against training throughput", "training tokens per second"
                        + (longest != null ? " at " + longest + "-token inputs" : "") + " (timed alone)", "test "
                        + t.metric() + (t.higher() ? " (higher is better)" : " (lower is better)"), series));
            }
        }
        return out;
    }

    private static double d(JsonElement e) {
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }

    /** The verdict of a claim section, without the list of rows that did not decide (but with the indications). */
    private static String conclusion(String section) {
        int v = section.indexOf("**Verdict.** ");
        if (v < 0) {
            return "No recorded study compares the two.";
        }
        String text = section.substring(v + "**Verdict.** ".length()).strip();
        int not = text.indexOf(" Not deciding");
        if (not < 0) {
            return text;
        }
        int hint = text.indexOf(" Among those, ");
        return text.substring(0, not) + (hint >= 0 ? " On tasks that cannot decide, the paired interval excludes 0"
                + text.substring(hint + " Among those, the paired interval excludes 0".length()) : "");
    }

    /** BLEU against average lagging of every simul*-waitK task, per method. */
    private String latency() {
        StringBuilder b = new StringBuilder("## Quality against latency: wait-k simultaneous translation\n\n");
        Map<String, Map<Double, Task>> families = families();
        if (families.isEmpty()) {
            return b.append("No recorded study holds a wait-k translation task.\n").toString();
        }
        b.append("Each wait-k policy is a model trained for that k (the paper's setting); test BLEU and average "
                + "lagging (AL, in source words) of greedy streaming decoding, mean ± SD over the seeds.\n\n");
        for (var f : families.entrySet()) {
            List<String> methods = new ArrayList<>();
            for (Task t : f.getValue().values()) {
                for (String m : t.methods()) {
                    if (!methods.contains(m)) {
                        methods.add(m);
                    }
                }
            }
            b.append("**").append(f.getKey()).append("**\n\n| k |");
            StringBuilder rule = new StringBuilder("|---|");
            for (String m : methods) {
                b.append(' ').append(m).append(" BLEU | ").append(m).append(" AL |");
                rule.append("---|---|");
            }
            b.append('\n').append(rule).append('\n');
            for (var e : f.getValue().entrySet()) {
                Task t = e.getValue();
                b.append("| ").append(e.getKey().isInfinite() ? "∞" : fmt0(e.getKey())).append(" |");
                for (String m : methods) {
                    JsonObject al = t.summary(m, "average_lagging");
                    b.append(' ').append(meanSd(t.summary(m, t.metric()), 2)).append(" | ")
                            .append(al == null ? "n/a" : num(al.get("mean"), 2)).append(" |");
                }
                b.append('\n');
            }
            Task any = f.getValue().values().iterator().next();
            b.append("\nChosen learning rates (k: ").append(String.join(", ", methods)).append("): ");
            List<String> perK = new ArrayList<>();
            for (var e : f.getValue().entrySet()) {
                List<String> rates = new ArrayList<>();
                for (String m : methods) {
                    rates.add(rate(e.getValue(), m));
                }
                perK.add((e.getKey().isInfinite() ? "∞" : fmt0(e.getKey())) + ": " + String.join(" / ", rates));
            }
            b.append(String.join("; ", perK)).append(". Seeds ").append(join(any.source().study().getAsJsonArray("seeds")))
                    .append(", data seed ").append(any.source().study().get("dataSeed").getAsString()).append("; from `")
                    .append(any.source().path()).append("`.\n\n");
        }
        return b.toString();
    }

    /** A method's chosen learning rate on a task, or n/a. */
    private static String rate(Task t, String method) {
        JsonObject m = t.method(method);
        return m == null ? "n/a" : m.get("learningRate").getAsString();
    }

    /** Test quality against training throughput (timed alone), per task: the paper's LRA figure as a table. */
    private String throughput() {
        StringBuilder b = new StringBuilder("## Quality against throughput\n\n")
                .append("As the paper's LRA figure: each method's test metric (mean ± SD over the seeds) against "
                        + "its training throughput, timed alone on the machine at the end of the study (median step "
                        + "after warm-up, input tokens per second), at the task's own input length and at longer "
                        + "inputs (the same model on LRA-length ListOps, the language model on windows of 16× its "
                        + "own), where linear attention is meant to pay off. The quality is the task's, at its "
                        + "own length. Each speed is one timing (the median of the timed steps): compare large "
                        + "ratios, not small differences (how much repeated timings moved: docs/studies.md).\n\n");
        boolean any = false;
        for (Task t : tasks()) {
            boolean timed = t.methods().stream().anyMatch(m -> t.method(m).has("throughput"));
            if (!timed) {
                continue;
            }
            any = true;
            List<Integer> lengths = longLengths(t);
            b.append("**").append(t.name()).append("** (test ").append(t.metric())
                    .append(t.higher() ? ", higher is better" : ", lower is better").append(")\n\n")
                    .append("| method | test ").append(t.metric()).append(" | tokens/s | steps/s |");
            StringBuilder rule = new StringBuilder("|---|---|---|---|");
            for (int length : lengths) {
                b.append(" tokens/s at ").append(length).append(" tokens |");
                rule.append("---|");
            }
            b.append(" parameters |\n").append(rule).append("---|\n");
            for (String m : t.methods()) {
                JsonObject mo = t.method(m);
                JsonObject tp = mo.has("throughput") ? mo.getAsJsonObject("throughput") : null;
                b.append("| ").append(m).append(" | ").append(meanSd(mo.getAsJsonObject("test"))).append(" | ")
                        .append(tp == null ? "not timed" : String.format(Locale.ROOT, "%,.0f",
                                tp.get("tokensPerSecond").getAsDouble()))
                        .append(" | ").append(tp == null ? "not timed" : num(tp.get("stepsPerSecond"), 2)).append(" |");
                for (int length : lengths) {
                    JsonObject at = atLength(mo, length);
                    b.append(' ').append(at == null ? "not timed" : String.format(Locale.ROOT, "%,.0f",
                            at.get("tokensPerSecond").getAsDouble())).append(" |");
                }
                b.append(' ').append(String.format(Locale.ROOT, "%,d", mo.get("parameters").getAsLong())).append(" |\n");
            }
            b.append('\n');
        }
        if (!any) {
            b.append("No recorded study timed its methods (a study run with --no-throughput).\n");
        }
        return b.toString();
    }

    /** The longer input lengths a task's methods were timed at, in order. */
    private static List<Integer> longLengths(Task t) {
        List<Integer> out = new ArrayList<>();
        for (String m : t.methods()) {
            JsonObject mo = t.method(m);
            if (mo.has("throughputAtLength")) {
                for (JsonElement e : mo.getAsJsonArray("throughputAtLength")) {
                    int l = e.getAsJsonObject().get("length").getAsInt();
                    if (!out.contains(l)) {
                        out.add(l);
                    }
                }
            }
        }
        out.sort(null);
        return out;
    }

    private static JsonObject atLength(JsonObject method, int length) {
        if (!method.has("throughputAtLength")) {
            return null;
        }
        for (JsonElement e : method.getAsJsonArray("throughputAtLength")) {
            if (e.getAsJsonObject().get("length").getAsInt() == length) {
                return e.getAsJsonObject();
            }
        }
        return null;
    }

    private String taskTable(Task t) {
        String what = t.task().get("description").getAsString();
        StringBuilder b = new StringBuilder(Character.toUpperCase(what.charAt(0)) + what.substring(1) + ".\n\n")
                .append("| method | learning rate | test ").append(t.metric())
                .append(" (mean ± SD) | parameters |\n|---|---|---|---|\n");
        for (String m : t.methods()) {
            JsonObject mo = t.method(m);
            b.append("| ").append(m).append(" | ").append(mo.get("learningRate").getAsString())
                    .append(atGridEdge(t.source().study(), mo) ? " (grid edge)" : "").append(" | ")
                    .append(meanSd(mo.getAsJsonObject("test"))).append(" | ")
                    .append(String.format(Locale.ROOT, "%,d", mo.get("parameters").getAsLong())).append(" |\n");
        }
        JsonArray seeds = t.source().study().getAsJsonArray("seeds");
        boolean edge = t.methods().stream().anyMatch(m -> atGridEdge(t.source().study(), t.method(m)));
        b.append(edge ? "\nA rate at the grid edge was the best one tried, not necessarily the best one: the grid "
                + "was " + join(t.source().study().getAsJsonArray("learningRates")) + ".\n" : "");
        b.append("\nSeeds ").append(join(seeds)).append(", data seed ")
                .append(t.source().study().get("dataSeed").getAsString()).append("; from `")
                .append(t.source().path()).append("` (commit `").append(shortCommit(t.source().study()))
                .append("`).\n");
        return b.toString();
    }

    /** The opening marker of an embedded block: {@code <!-- claims:NAME -->}. */
    public static final java.util.regex.Pattern BLOCK = java.util.regex.Pattern.compile(
            "<!-- claims:([a-z0-9:_-]+) -->\\n(.*?)<!-- /claims -->", java.util.regex.Pattern.DOTALL);

    /**
     * {@code text} with every embedded block ({@code <!-- claims:NAME -->} … {@code <!-- /claims -->})
     * regenerated from the records: a README or a docs page keeps its numbers only there.
     */
    public String updateBlocks(String text) {
        java.util.regex.Matcher m = BLOCK.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String body = fragment(m.group(1));
            // blank lines around the body: a markdown renderer that runs an HTML block on to the next
            // blank line (Jupyter's) would otherwise show the table as raw text
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement("<!-- claims:" + m.group(1) + " -->\n\n"
                    + body + (body.endsWith("\n") ? "" : "\n") + "\n<!-- /claims -->"));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * A notebook (.ipynb JSON) with the blocks of its markdown cells regenerated; the cells'
     * line structure is kept as Jupyter writes it (a list of lines, each but the last ending in a
     * newline).
     */
    public String updateNotebook(String json) {
        JsonObject nb = JsonParser.parseString(json).getAsJsonObject();
        boolean changed = false;
        for (JsonElement ce : nb.getAsJsonArray("cells")) {
            JsonObject c = ce.getAsJsonObject();
            if (!"markdown".equals(c.get("cell_type").getAsString())) {
                continue;
            }
            StringBuilder src = new StringBuilder();
            JsonElement se = c.get("source");
            if (se.isJsonArray()) {
                se.getAsJsonArray().forEach(l -> src.append(l.getAsString()));
            } else {
                src.append(se.getAsString());
            }
            String before = src.toString();
            String after = updateBlocks(before);
            if (!after.equals(before)) {
                JsonArray lines = new JsonArray();
                int start = 0;
                for (int i = 0; i < after.length(); i++) {
                    if (after.charAt(i) == '\n') {
                        lines.add(after.substring(start, i + 1));
                        start = i + 1;
                    }
                }
                if (start < after.length()) {
                    lines.add(after.substring(start));
                }
                c.add("source", lines);
                changed = true;
            }
        }
        if (!changed) {
            return json;
        }
        // Jupyter's own layout: one space of indent, a newline at the end
        java.io.StringWriter sw = new java.io.StringWriter();
        com.google.gson.stream.JsonWriter w = new com.google.gson.stream.JsonWriter(sw);
        w.setIndent(" ");
        w.setHtmlSafe(false);
        new com.google.gson.GsonBuilder().disableHtmlEscaping().create().toJson(nb, w);
        return sw + "\n";
    }

    /**
     * Whether a method's chosen rate is the largest or smallest of its grid (the
     * best one tried, perhaps not the best one).
     */
    static boolean atGridEdge(JsonObject study, JsonObject method) {
        JsonArray grid = study.getAsJsonArray("learningRates");
        if (grid.size() < 2) {
            return false;
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (JsonElement e : grid) {
            lo = Math.min(lo, e.getAsDouble());
            hi = Math.max(hi, e.getAsDouble());
        }
        double r = method.get("learningRate").getAsDouble();
        return r == lo || r == hi;
    }

    private static String shortCommit(JsonObject st) {
        String c = st.get("commit").getAsString();
        return (c.length() > 7 ? c.substring(0, 7) : c)
                + (st.has("uncommittedChanges") && st.get("uncommittedChanges").getAsBoolean() ? "+changes" : "");
    }

    private static String meanSd(JsonObject s) {
        return meanSd(s, 4);
    }

    private static String meanSd(JsonObject s, int digits) {
        if (s == null) {
            return "n/a";
        }
        return num(s.get("mean"), digits) + " ± " + num(s.get("sd"), digits);
    }

    private static String num(JsonElement e, int digits) {
        return e == null || e.isJsonNull() ? "n/a" : String.format(Locale.ROOT, "%." + digits + "f", e.getAsDouble());
    }

    private static String fmt0(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String str(JsonObject o, String key) {
        return o.has(key) ? o.get(key).getAsString() : "n/a";
    }

    private static String join(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return String.join(", ", out);
    }
}
