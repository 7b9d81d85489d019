package org.leapformer.train;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Training progress on the console: the step, the training loss as a running mean (an
 * exponential moving average over about 20 steps, with dropout on: it reads higher than the
 * evaluation loss), the learning rate and the throughput; evaluations on their own lines.
 *
 * <p>On a terminal it is a progress bar (me.tongfei:progressbar) redrawn in place. When the
 * output is not a terminal (a log file, a pipe, CI) it prints a plain line every 5% of the run
 * and at least every 30 seconds instead, since a redrawn bar turns into clutter there.
 */
public final class ConsoleProgress implements TrainingListener {

    private static final long PLAIN_INTERVAL_NANOS = 30_000_000_000L;

    private final PrintStream out;
    private final String task;
    private final boolean terminal;
    private ProgressBar bar;
    private double smoothLoss = Double.NaN;
    private double smoothRate = Double.NaN;
    private long total;
    private long every;
    private long lastPrinted;
    private long start;

    /** Progress on standard error: a bar when it is a terminal, plain lines otherwise. */
    public ConsoleProgress(String task) {
        this(task, System.err, System.console() != null);
    }

    /** Progress on {@code out} as plain lines, unless {@code out} is the terminal's standard output or error. */
    public ConsoleProgress(String task, PrintStream out) {
        this(task, out, System.console() != null && (out == System.out || out == System.err));
    }

    /**
     * @param terminal true for a bar redrawn in place, false for plain periodic lines
     */
    public ConsoleProgress(String task, PrintStream out, boolean terminal) {
        this.task = task;
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public void onStart(long startStep, long totalSteps) {
        total = totalSteps;
        every = Math.max(1, totalSteps / 20);
        start = System.nanoTime();
        lastPrinted = start;
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalSteps).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(out)).setUpdateIntervalMillis(250).continuousUpdate()
                    .startsFrom(startStep, java.time.Duration.ZERO).build();
        } else {
            out.println(task + ": " + (startStep > 0 ? "resuming at step " + startStep + " of " : "training for ")
                    + totalSteps + " steps; loss = running mean of the training loss (dropout on)");
        }
    }

    @Override
    public void onStep(Step s) {
        smoothLoss = Double.isNaN(smoothLoss) ? s.loss() : 0.95 * smoothLoss + 0.05 * s.loss();
        smoothRate = Double.isNaN(smoothRate) ? s.tokensPerSecond() : 0.95 * smoothRate + 0.05 * s.tokensPerSecond();
        if (bar != null) {
            bar.stepTo(s.step());
            bar.setExtraMessage(String.format(Locale.ROOT, "train loss (running mean) %.4f lr %.2e %.0f tok/s",
                    smoothLoss, s.learningRate(), smoothRate));
            return;
        }
        long now = System.nanoTime();
        if (s.step() % every == 0 || s.step() == total || now - lastPrinted >= PLAIN_INTERVAL_NANOS) {
            lastPrinted = now;
            out.println(String.format(Locale.ROOT, "%s: step %d/%d (%.0f%%) loss %.4f lr %.2e %.0f tok/s, %.0f s",
                    task, s.step(), total, 100.0 * s.step() / Math.max(1, total), smoothLoss, s.learningRate(),
                    smoothRate, (now - start) / 1e9));
        }
    }

    @Override
    public void onEvaluation(Evaluation e) {
        StringBuilder sb = new StringBuilder(task + ": evaluation at step " + e.step() + ":");
        e.metrics().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.4f", k, v)));
        sb.append(e.improved() ? " (best so far)" : "");
        if (bar != null) {
            bar.pause();
            out.println();
        }
        out.println(sb);
        if (bar != null) {
            bar.resume();
        }
    }

    @Override
    public void onEnd(TrainingResult r) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        if (r.divergence() != null) {
            out.println(task + ": " + r.divergence().message());
            return;
        }
        out.println(task + ": " + r.reason().name().toLowerCase(Locale.ROOT).replace('_', ' ') + " after " + r.steps()
                + " steps" + (Double.isNaN(r.best()) ? "" : String.format(Locale.ROOT, ", best %.4f at step %d",
                        r.best(), r.bestStep())));
    }
}
