package org.leapformer.train;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A console progress bar (me.tongfei:progressbar) with the loss, the learning rate and the
 * throughput; evaluations are printed on their own lines.
 */
public final class ConsoleProgress implements TrainingListener {

    private final PrintStream out;
    private final String task;
    private ProgressBar bar;
    private double smoothLoss = Double.NaN;
    private double smoothRate = Double.NaN;

    /** A progress bar on standard error. */
    public ConsoleProgress(String task) {
        this(task, System.err);
    }

    public ConsoleProgress(String task, PrintStream out) {
        this.task = task;
        this.out = out;
    }

    @Override
    public void onStart(long startStep, long totalSteps) {
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalSteps).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(out)).setUpdateIntervalMillis(250).continuousUpdate()
                .startsFrom(startStep, java.time.Duration.ZERO).build();
    }

    @Override
    public void onStep(Step s) {
        smoothLoss = Double.isNaN(smoothLoss) ? s.loss() : 0.95 * smoothLoss + 0.05 * s.loss();
        smoothRate = Double.isNaN(smoothRate) ? s.tokensPerSecond() : 0.95 * smoothRate + 0.05 * s.tokensPerSecond();
        if (bar != null) {
            bar.stepTo(s.step());
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f lr %.2e %.0f tok/s", smoothLoss,
                    s.learningRate(), smoothRate));
        }
    }

    @Override
    public void onEvaluation(Evaluation e) {
        StringBuilder sb = new StringBuilder("eval @" + e.step());
        e.metrics().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.4f", k, v)));
        sb.append(e.improved() ? " (best)" : "");
        if (bar != null) {
            bar.pause();
        }
        out.println();
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
        out.println(task + ": " + r.reason().name().toLowerCase(Locale.ROOT) + " after " + r.steps() + " steps"
                + (Double.isNaN(r.best()) ? "" : String.format(Locale.ROOT, ", best %.4f at step %d", r.best(),
                        r.bestStep())));
    }
}
