package org.leapformer.jupyter

import ai.djl.nn.Block
import org.jetbrains.kotlinx.jupyter.api.MIME
import org.jetbrains.kotlinx.jupyter.api.MimeTypedResult
import org.leapformer.inspect.LayerStep
import org.leapformer.inspect.Stepper
import org.leapformer.inspect.Trace
import org.leapformer.model.DecoderLM
import org.leapformer.model.EncoderClassifier
import org.leapformer.model.ModelConfig
import org.leapformer.train.TrainingHistory
import org.leapformer.train.TrainingResult
import java.util.Locale

/**
 * How the library's objects show in a notebook: a short HTML table (with the same facts as
 * text/plain for consoles and untrusted notebooks), never a wall of numbers.
 */
object Renderers {

    /** A model: its attention kind, sizes, parameter count, device and data type. */
    fun model(block: Block, config: ModelConfig): MimeTypedResult {
        val name = block.javaClass.simpleName
        val rows = ArrayList<Pair<String, String>>()
        rows += "attention" to config.kind().toString()
        rows += "layers × heads" to "${config.layers()} × ${config.heads()}"
        rows += "d_model, head dim, FFN" to "${config.dModel()}, ${config.headDim()}, ${config.ffnDim()}"
        if (config.leapHidden() != null) rows += "LeaP hidden" to config.leapHidden().toString()
        rows += "vocabulary" to config.vocabSize().toString()
        rows += "positions" to "${config.positions()}, max length ${config.maxLength()}"
        if (block is EncoderClassifier) rows += "classes" to config.numClasses().toString()
        val params = block.parameters
        if (params.isEmpty || params.valueAt(0).array == null) {
            rows += "parameters" to "not initialised (call initialize(manager, DataType.FLOAT32, seed))"
        } else {
            val count = params.values().sumOf { it.array.shape.size() }
            val first = params.valueAt(0).array
            rows += "parameters" to "${"%,d".format(Locale.ROOT, count)} in ${params.size()} tensors"
            rows += "device, type" to "${first.device}, ${first.dataType}"
        }
        return table("$name", rows)
    }

    /** How training ended: steps, reason, losses, best value, time, and what diverged. */
    fun trainingResult(r: TrainingResult): MimeTypedResult {
        val rows = ArrayList<Pair<String, String>>()
        rows += "stopped" to "${r.reason()} after ${r.steps()} steps"
        rows += "last training loss" to num(r.lastLoss())
        if (r.bestStep() >= 0) rows += "best monitored value" to "${num(r.best())} at step ${r.bestStep()}"
        r.test().forEach { (k, v) -> rows += "test $k" to num(v) }
        if (r.test().isNotEmpty()) {
            rows += "model tested" to if (r.selectedOn() == TrainingResult.VALIDATION)
                "step ${r.bestStep()}, chosen on validation" else "the last step (no validation ran)"
        }
        r.validation().forEach { (k, v) -> rows += "validation $k (chosen model)" to num(v) }
        r.lastEvaluation().forEach { (k, v) -> rows += "last validation $k" to num(v) }
        rows += "seeds" to "model ${r.seed()}, data ${r.dataSeed()}"
        rows += "time" to String.format(Locale.ROOT, "%.1f s", r.seconds())
        r.divergence()?.let { rows += "divergence" to it.message() }
        return table("TrainingResult", rows)
    }

    /** A recorded run: its steps, evaluations and the end. */
    fun history(h: TrainingHistory): MimeTypedResult {
        val rows = ArrayList<Pair<String, String>>()
        val last = h.lastStep()
        rows += "steps" to "${h.steps().size} of ${h.totalSteps()}"
        if (last != null) rows += "loss (mean of the last 20 steps)" to num(h.recentLoss(20))
        h.evaluations().lastOrNull()?.let { e -> e.metrics().forEach { (k, v) -> rows += "last evaluation $k" to num(v) } }
        h.result()?.let { rows += "ended" to "${it.reason()} after ${it.steps()} steps" }
        return table("TrainingHistory '${h.name()}' (plot it with trainingCurves(...))", rows)
    }

    /** A trace: what was traced and per layer what it holds. */
    fun trace(t: Trace): MimeTypedResult {
        val rows = ArrayList<Pair<String, String>>()
        rows += "model" to "${t.kind()}, ${if (t.isCausal()) "causal" else "bidirectional"}"
        rows += "sequences × tokens" to "${t.batchSize()} × ${t.length()}"
        rows += "layers × heads" to "${t.layerCount()} × ${t.heads()}"
        rows += "per layer" to "input, q, k, v, attention, output; proportions, reweighting(), weights() on demand"
        rows += "logits" to t.logits().shape.toString()
        return table("Trace", rows)
    }

    /** One decoded token of a stepper: position, token, next token, and per layer and head what it did. */
    fun step(s: Stepper.Step): MimeTypedResult {
        val header = "Step: position ${s.position()}, token ${s.token()}, most likely next token ${s.argmax()}"
        return layerSteps(header, s.layers())
    }

    /** One layer's record of a token. */
    fun layerStep(s: LayerStep): MimeTypedResult = layerSteps("LayerStep: position ${s.position()}", listOf(s))

    private fun layerSteps(header: String, layers: List<LayerStep>): MimeTypedResult {
        val first = layers.firstOrNull()
        val norms = first?.stateNorms()?.keys?.toList() ?: emptyList()
        val hasP = first?.queryProportion() != null
        val cols = listOf("layer", "head") + (if (hasP) listOf("p_q", "p_k") else emptyList()) +
            norms.map { "‖$it‖" } + (if (first?.denominator() != null) listOf("φ(q)·z") else emptyList()) +
            (if (first?.attentionRow() != null) listOf("max attention") else emptyList())
        val body = ArrayList<List<String>>()
        for (l in layers) for (h in 0 until l.heads()) {
            val row = arrayListOf(l.layer().toString(), h.toString())
            if (hasP) { row += num(l.queryProportion(0, h).toDouble()); row += num(l.keyProportion(0, h).toDouble()) }
            norms.forEach { row += num(l.stateNorms().getValue(it).get(0, h.toLong()).toDouble()) }
            l.denominator()?.let { row += num(it.get(0, h.toLong()).toDouble()) }
            l.attentionRow()?.let { _ ->
                val r = l.attentionRow(0, h)
                val j = r.indices.maxByOrNull { r[it] } ?: 0
                row += "${num(r[j].toDouble())} at ${j}"
            }
            body += row
        }
        val text = buildString {
            append(header).append(if (first != null && first.batchSize() > 1) " (sequence 0)" else "").append('\n')
            append(cols.joinToString("\t")).append('\n')
            body.forEach { append(it.joinToString("\t")).append('\n') }
        }.trimEnd()
        val html = buildString {
            append("<div><b>").append(esc(header)).append("</b><table><tr>")
            cols.forEach { append("<th>").append(esc(it)).append("</th>") }
            append("</tr>")
            body.forEach { r -> append("<tr>"); r.forEach { append("<td>").append(esc(it)).append("</td>") }; append("</tr>") }
            append("</table></div>")
        }
        return MIME("text/plain" to text, "text/html" to html)
    }

    internal fun table(title: String, rows: List<Pair<String, String>>): MimeTypedResult {
        val text = (listOf(title) + rows.map { (k, v) -> "  $k: $v" }).joinToString("\n")
        val html = buildString {
            append("<div><b>").append(esc(title)).append("</b><table>")
            rows.forEach { (k, v) -> append("<tr><th style=\"text-align:left\">").append(esc(k)).append("</th><td style=\"text-align:left\">").append(esc(v)).append("</td></tr>") }
            append("</table></div>")
        }
        return MIME("text/plain" to text, "text/html" to html)
    }

    internal fun num(v: Double): String = when {
        v.isNaN() -> "—"
        v != 0.0 && (kotlin.math.abs(v) < 1e-3 || kotlin.math.abs(v) >= 1e5) -> String.format(Locale.ROOT, "%.3e", v)
        else -> String.format(Locale.ROOT, "%.4g", v)
    }

    internal fun esc(s: String) = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
}
