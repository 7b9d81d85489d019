package org.leapformer.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.leapformer.LeapEngine;
import org.leapformer.study.Scale;
import org.leapformer.study.Study;

/** {@code study}: a {@link Study} of the command line's tasks ({@link StudyTasks}). */
final class StudyCommand {

    static final Set<String> OPTIONS = Set.of("out", "tasks", "methods", "lrs", "seeds", "data-seed", "scale");

    private StudyCommand() {}

    static int run(String[] args, PrintStream out) {
        Args a = Args.parse("study", args, 1, OPTIONS, Set.of("no-throughput"));
        Path dir = a.path("out", null);
        if (dir == null) {
            throw new IllegalArgumentException("study: expected --out DIR (runs, study.json and results.md go there), "
                    + "found none");
        }
        Study.Builder b = Study.builder().setDirectory(dir).optProgress(out)
                .optScale(Scale.parse(a.string("scale", "small")))
                .optDataSeed(a.nonNegativeLong("data-seed", TaskData.DEFAULT_SEED))
                .optThroughput(!a.flag("no-throughput"));
        for (String t : split(a.string("tasks", "listops,lm"), "tasks")) {
            b.addTask(StudyTasks.named(t));
        }
        List<String> methods = split(a.string("methods", "leap,cosformer,softmax"), "methods");
        for (String m : methods) {
            if (!StudyTasks.METHODS.contains(m)) {
                throw new IllegalArgumentException("study --methods: expected a comma-separated list of "
                        + StudyTasks.METHODS + ", found '" + m + "'");
            }
        }
        b.setMethods(methods);
        List<Double> rates = new ArrayList<>();
        for (String r : split(a.string("lrs", "1e-3,3e-3"), "lrs")) {
            try {
                rates.add(Double.parseDouble(r));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("study --lrs: expected comma-separated learning rates such as "
                        + "1e-3,3e-3, found '" + r + "'");
            }
        }
        b.setLearningRates(rates);
        b.optSeeds(seeds(a.string("seeds", "5")));
        b.optEngine(LeapEngine.ensureInitialized());
        Study study = b.build();
        out.println("study: " + study.plannedRuns() + " runs (tuning, then seeds) in " + dir);
        study.run();
        return 0;
    }

    /** A count N (seeds 1..N) or a comma-separated list of seeds. */
    static List<Long> seeds(String value) {
        List<Long> seeds = new ArrayList<>();
        List<String> items = split(value, "seeds");
        try {
            if (items.size() == 1) {
                long n = Long.parseLong(items.get(0));
                if (n < 2 || n > 1000) {
                    throw new IllegalArgumentException("study --seeds: expected a count from 2 to 1000 (seeds 1..N) or "
                            + "a comma-separated list of at least 2 seeds, found " + n);
                }
                for (long s = 1; s <= n; s++) {
                    seeds.add(s);
                }
                return seeds;
            }
            for (String s : items) {
                long v = Long.parseLong(s);
                if (v < 0) {
                    throw new NumberFormatException();
                }
                seeds.add(v);
            }
            return seeds;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("study --seeds: expected a count N (seeds 1..N) or a comma-separated "
                    + "list of seeds >= 0, found '" + value + "'");
        }
    }

    private static List<String> split(String value, String option) {
        List<String> out = new ArrayList<>();
        for (String s : value.split(",")) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (t.isEmpty()) {
                throw new IllegalArgumentException("study --" + option + ": expected a comma-separated list without "
                        + "empty items, found '" + value + "'");
            }
            out.add(t);
        }
        return out;
    }
}
