package org.leapformer.jupyter

import ai.djl.ndarray.NDArray
import org.jetbrains.kotlinx.jupyter.api.HTML
import org.jetbrains.kotlinx.jupyter.api.MIME
import org.jetbrains.kotlinx.jupyter.api.libraries.JupyterIntegration
import org.jetbrains.letsPlot.Figure
import org.jetbrains.kotlinx.multik.ndarray.data.MultiArray
import org.leapformer.LeapEngine
import org.leapformer.inspect.LayerStep
import org.leapformer.inspect.Stepper
import org.leapformer.inspect.Trace
import org.leapformer.model.DecoderLM
import org.leapformer.model.EncoderClassifier
import org.leapformer.train.TrainingHistory
import org.leapformer.train.TrainingResult

/**
 * What `%use leapformer` does in the Kotlin kernel: imports the library, DJL, Lets-Plot and
 * Multik, starts the PyTorch engine once and shows its one-line summary, and renders Lets-Plot
 * figures as inline SVG and DJL NDArrays as a short summary.
 *
 * Only adapting here; the mathematics lives in the library.
 */
class LeapformerIntegration : JupyterIntegration() {

    override fun Builder.onLoaded() {
        import(*IMPORTS.toTypedArray())

        onLoaded {
            val summary = withLibraryClassLoader { LeapEngine.ensureInitialized() }
            display(MIME("text/plain" to "LeaPformer: $summary"), null)
        }

        onLoaded {
            // the host of whichever cell runs when asked (the kernel makes one per cell), for
            // displays that update while a cell runs; only cell code can reach it
            execute("org.leapformer.jupyter.LiveTraining.hostSource = { userHandlesProvider.host }")
        }

        render<Figure> { figure -> figure.toMime() }
        render<NDArray> { array -> NDArraySummary.toMime(array) }
        render<MultiArray<*, *>> { array -> MultikSummary.toMime(array) }
        render<DecoderLM> { model -> Renderers.model(model, model.config()) }
        render<EncoderClassifier> { model -> Renderers.model(model, model.config()) }
        render<TrainingResult> { result -> Renderers.trainingResult(result) }
        render<TrainingHistory> { history -> Renderers.history(history) }
        render<LiveTraining> { live -> Renderers.history(live.history) }
        render<Trace> { trace -> Renderers.trace(trace) }
        render<Stepper.Step> { step -> Renderers.step(step) }
        render<LayerStep> { step -> Renderers.layerStep(step) }
    }

    /**
     * DJL finds its engines with ServiceLoader through the thread's context class loader, which
     * in the kernel is the kernel's own and cannot see the jars `%use` added. The engine is
     * looked up once, so it is enough to start it with this integration's class loader.
     */
    private fun <T> withLibraryClassLoader(action: () -> T): T {
        val thread = Thread.currentThread()
        val previous = thread.contextClassLoader
        thread.contextClassLoader = LeapformerIntegration::class.java.classLoader
        try {
            return action()
        } finally {
            thread.contextClassLoader = previous
        }
    }

    companion object {
        /** The imports a notebook gets; public so tests can check each one resolves. */
        val IMPORTS: List<String> = listOf(
            "org.leapformer.*",
            "org.leapformer.ops.*",
            "org.leapformer.nn.*",
            "org.leapformer.model.*",
            "org.leapformer.train.*",
            "org.leapformer.data.*",
            "org.leapformer.inspect.*",
            "org.leapformer.eval.*",
            "org.leapformer.study.*",
            "org.leapformer.jupyter.*",
            "ai.djl.ndarray.*",
            "ai.djl.ndarray.types.*",
            "ai.djl.training.*",
            // DJL's ai.djl.training has classes of these names too; the library's win by name
            "org.leapformer.train.Trainer",
            "org.leapformer.train.TrainingConfig",
            "org.leapformer.train.TrainingResult",
            "org.leapformer.train.TrainingHistory",
            // DJL's NDArray wins over Multik's; Multik arrays are reached through D1Array.. D4Array
            "ai.djl.ndarray.NDArray",
            "ai.djl.ndarray.types.DataType",
            "org.jetbrains.letsPlot.*",
            "org.jetbrains.letsPlot.geom.*",
            "org.jetbrains.letsPlot.stat.*",
            "org.jetbrains.letsPlot.label.*",
            "org.jetbrains.letsPlot.scale.*",
            "org.jetbrains.letsPlot.facet.*",
            "org.jetbrains.letsPlot.themes.*",
            "org.jetbrains.letsPlot.pos.*",
            "org.jetbrains.letsPlot.coord.*",
            "org.jetbrains.letsPlot.intern.Plot",
            "org.jetbrains.letsPlot.intern.toSpec",
            "org.jetbrains.kotlinx.multik.api.*",
            "org.jetbrains.kotlinx.multik.ndarray.operations.*",
            "org.jetbrains.kotlinx.multik.ndarray.data.D1",
            "org.jetbrains.kotlinx.multik.ndarray.data.D2",
            "org.jetbrains.kotlinx.multik.ndarray.data.D3",
            "org.jetbrains.kotlinx.multik.ndarray.data.D4",
            "org.jetbrains.kotlinx.multik.ndarray.data.DN",
            "org.jetbrains.kotlinx.multik.ndarray.data.D1Array",
            "org.jetbrains.kotlinx.multik.ndarray.data.D2Array",
            "org.jetbrains.kotlinx.multik.ndarray.data.D3Array",
            "org.jetbrains.kotlinx.multik.ndarray.data.D4Array",
            "org.jetbrains.kotlinx.multik.ndarray.data.get",
            "org.jetbrains.kotlinx.multik.ndarray.data.set",
        )
    }
}
