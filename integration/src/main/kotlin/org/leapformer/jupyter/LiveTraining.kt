package org.leapformer.jupyter

import org.jetbrains.kotlinx.jupyter.api.KotlinKernelHost
import org.jetbrains.kotlinx.jupyter.api.MIME
import org.jetbrains.kotlinx.jupyter.api.MimeTypedResult
import org.leapformer.train.BatchSource
import org.leapformer.train.EvalSource
import org.leapformer.train.Trainer
import org.leapformer.train.TrainingHistory
import org.leapformer.train.TrainingListener
import org.leapformer.train.TrainingResult
import java.util.Locale
import java.util.concurrent.atomic.AtomicInteger

/**
 * A training listener for notebooks: while training runs, one output shows a progress line and
 * the loss curve, updated in place; at the end the final curves and a summary are shown below it
 * (so a notebook executed headless, where in-place updates are not recorded, still holds them).
 *
 * ```kotlin
 * val live = LiveTraining("LeaP")
 * val result = live.fit(trainer, train, eval)   // trains; the kernel's interrupt stops it cleanly
 * ```
 *
 * [fit] trains on a worker thread while the cell waits: the kernel's interrupt button (which
 * stops the cell's thread at once) then asks training to stop after the current step, waits for
 * it, and the cell returns the result with reason INTERRUPTED and a usable model. Added to a
 * trainer with `trainer.addListener(live)` instead, it shows the same output but an interrupt
 * stops the cell wherever it is. Outside a notebook it only records (see [history]).
 *
 * @param name the run's name in the legend (and in [trainingCurves] beside other runs)
 * @param everySeconds the least time between two updates of the live output
 * @param compare earlier runs drawn beside this one
 */
class LiveTraining @JvmOverloads constructor(
    name: String,
    private val everySeconds: Double = 1.0,
    private val compare: List<TrainingHistory> = emptyList(),
) : TrainingListener {

    /** What the run did so far; give it to [trainingCurves] to compare runs. */
    val history = TrainingHistory(name)

    private val displayId = "leapformer-live-${SERIAL.incrementAndGet()}"
    private var host: KotlinKernelHost? = null
    private var lastUpdate = 0L
    private var renderCost = 0L
    private var startStep = 0L
    private var startNanos = 0L

    @Volatile
    private var stop = false

    init {
        require(everySeconds >= 0) { "everySeconds: expected a non-negative number of seconds, found $everySeconds" }
    }

    override fun onStart(startStep: Long, totalSteps: Long) {
        history.onStart(startStep, totalSteps)
        this.startStep = startStep
        startNanos = System.nanoTime()
        stop = false
        host = runCatching { hostSource?.invoke() }.getOrNull()
        host?.display(progress(final = null, curve = false), displayId)
        lastUpdate = System.nanoTime()
    }

    override fun onStep(step: TrainingListener.Step) {
        history.onStep(step)
        val h = host ?: return
        val now = System.nanoTime()
        // at most one update per everySeconds, and never more than a tenth of the time on drawing
        if ((now - lastUpdate) / 1e9 >= everySeconds && now - lastUpdate >= 10 * renderCost) {
            val t0 = System.nanoTime()
            h.updateDisplay(progress(final = null, curve = history.steps().size >= 2), displayId)
            renderCost = System.nanoTime() - t0
            lastUpdate = System.nanoTime()
        }
    }

    override fun onEvaluation(evaluation: TrainingListener.Evaluation) = history.onEvaluation(evaluation)

    override fun stopRequested(): Boolean = stop

    override fun onEnd(result: TrainingResult) {
        history.onEnd(result)
        val h = host ?: return
        h.updateDisplay(progress(final = result, curve = false), displayId)
        if (history.steps().isNotEmpty()) {
            h.display(trainingCurves(compare + history, title = "Training curves: ${history.name()}").toMime(), null)
        }
        h.display(Renderers.trainingResult(result), null)
        host = null
    }

    /** Asks the run to stop after its current step (what the kernel's interrupt button does). */
    fun requestStop() {
        stop = true
    }

    /**
     * Trains [trainer] with this listener on a worker thread and waits for it. When the kernel
     * interrupts the cell, training stops after the step in progress and this returns normally
     * (reason INTERRUPTED); the model holds that step's parameters. With a [test] set, the model
     * chosen on [eval] (validation) is evaluated once on it when training completes or stops early:
     * `TrainingResult.test()`, as `Trainer.fit(train, validation, test)`.
     *
     * @throws Exception what training threw, with the worker's stack trace as cause
     */
    @JvmOverloads
    fun fit(trainer: Trainer, train: BatchSource, eval: EvalSource? = null, test: EvalSource? = null): TrainingResult {
        trainer.addListener(this)
        // the display goes out with the host of the cell that called fit
        val cellHost = runCatching { hostSource?.invoke() }.getOrNull()
        val source = hostSource
        hostSource = { cellHost }
        var result: TrainingResult? = null
        var failure: Throwable? = null
        val worker = Thread({
            try {
                result = trainer.fit(train, eval, test)
            } catch (t: Throwable) {
                failure = t
            }
        }, "leapformer-training")
        worker.contextClassLoader = Thread.currentThread().contextClassLoader
        try {
            worker.start()
            var interrupted = false
            while (worker.isAlive) {
                try {
                    worker.join()
                } catch (stopped: ThreadDeath) {
                    // the kernel's interrupt: finish the current step, then return what training did
                    if (!interrupted) System.out.println("${history.name()}: interrupted; stopping after the current step ...")
                    interrupted = true
                    requestStop()
                } catch (e: InterruptedException) {
                    interrupted = true
                    requestStop()
                }
            }
        } finally {
            hostSource = source
            trainer.removeListener(this)
        }
        failure?.let { throw RuntimeException("training '${history.name()}' failed: ${it.message}", it) }
        return result!!
    }

    /** The progress line, and while running the curve (SVG only: cheap to redraw, shown by the live page). */
    private fun progress(final: TrainingResult?, curve: Boolean): MimeTypedResult {
        val last = history.lastStep()
        val total = history.totalSteps()
        val done = last?.step() ?: startStep
        val seconds = (System.nanoTime() - startNanos) / 1e9
        val line = when {
            final != null -> String.format(Locale.ROOT, "%s: %s after %d steps in %.1f s%s — curves and summary below",
                history.name(), final.reason(), final.steps(), seconds,
                if (final.reason() == TrainingResult.StopReason.INTERRUPTED) " (the model holds the last finished step)" else "")
            last == null -> "${history.name()}: starting, $done of $total steps"
            else -> {
                val rate = (done - startStep) / maxOf(seconds, 1e-9)
                val eta = if (rate > 0) (total - done) / rate else Double.NaN
                String.format(Locale.ROOT, "%s: step %d of %d (%.0f%%), loss %.4f (mean of the last 20), lr %.2e, %.1f steps/s, %s left",
                    history.name(), done, total, 100.0 * done / maxOf(total, 1), history.recentLoss(20),
                    last.learningRate(), rate, if (eta.isFinite()) String.format(Locale.ROOT, "%.0f s", eta) else "?")
            }
        }
        val bar = if (total > 0) {
            val pct = 100.0 * done / total
            "<div style=\"background:#eee;width:480px;height:8px\"><div style=\"background:#4C72B0;width:${"%.1f".format(Locale.ROOT, pct)}%;height:8px\"></div></div>"
        } else ""
        val svg = if (curve && final == null) trainingCurves(compare + history, title = "Training: ${history.name()} (live)").toSvg() else ""
        return MIME("text/plain" to line, "text/html" to "<div><code>${Renderers.esc(line)}</code>$bar$svg</div>")
    }

    companion object {
        private val SERIAL = AtomicInteger()

        /**
         * The host of the cell that runs now, set by `%use leapformer` (the kernel makes a host per
         * cell, and only cell code can reach it); null outside a notebook.
         */
        @JvmStatic
        @Volatile
        var hostSource: (() -> KotlinKernelHost?)? = null
    }
}
