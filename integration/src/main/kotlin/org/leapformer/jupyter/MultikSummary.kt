package org.leapformer.jupyter

import org.jetbrains.kotlinx.jupyter.api.MIME
import org.jetbrains.kotlinx.jupyter.api.MimeTypedResult
import org.jetbrains.kotlinx.multik.ndarray.data.DN
import org.jetbrains.kotlinx.multik.ndarray.data.MultiArray

/**
 * A Multik array shown in a notebook as its type, shape and first values, plus the top-left
 * corner of a matrix as a small table, so that a cell ending in a large array does not print all
 * of it. Views (transposed, sliced) show their values in logical order.
 */
object MultikSummary {

    /** How many leading values (in row-major order) the one-line summary shows. */
    const val SHOWN_VALUES: Int = 8

    /** The most rows and columns of a matrix the HTML table shows; the rest is '…'. */
    const val TABLE_SIZE: Int = 12

    /** One line, e.g. `Multik NDArray<Float, D2> (4, 5) [0, 1, 2, 3, 4, 5, 6, 7, ... (12 more)]`. */
    fun text(array: MultiArray<*, *>): String {
        val all = array.iterator()
        val values = List(minOf(array.size, SHOWN_VALUES)) { format(all.next()) }
        val more = if (array.size > values.size) ", ... (${array.size - values.size} more)" else ""
        val dim = if (array.dim is DN) "DN" else "D${array.dim.d}"
        return "Multik NDArray<${array.dtype.clazz.simpleName}, $dim> ${array.shape.joinToString(", ", "(", ")")} " +
            "[${values.joinToString(", ")}$more]"
    }

    /**
     * The summary as text/plain and as text/html: the line, and for a non-empty matrix a table of
     * at most [TABLE_SIZE] × [TABLE_SIZE] values.
     */
    fun toMime(array: MultiArray<*, *>): MimeTypedResult {
        val text = text(array)
        val table = if (array.shape.size == 2 && array.size > 0) table(array) else ""
        return MIME("text/plain" to text, "text/html" to "<pre>${NDArraySummary.escapeHtml(text)}</pre>$table")
    }

    private fun table(array: MultiArray<*, *>): String {
        val (rows, cols) = array.shape
        val (rowStride, colStride) = array.strides
        return buildString {
            append("<table style=\"font-family:monospace\">")
            for (i in 0 until minOf(rows, TABLE_SIZE)) {
                append("<tr>")
                for (j in 0 until minOf(cols, TABLE_SIZE)) {
                    val value = array.data[array.offset + i * rowStride + j * colStride]
                    append("<td>").append(NDArraySummary.escapeHtml(format(value))).append("</td>")
                }
                append(if (cols > TABLE_SIZE) "<td>…</td></tr>" else "</tr>")
            }
            if (rows > TABLE_SIZE) {
                append("<tr>").append("<td>…</td>".repeat(minOf(cols, TABLE_SIZE + 1))).append("</tr>")
            }
            append("</table>")
        }
    }

    private fun format(value: Any?): String = when (value) {
        is Byte, is Short, is Int, is Long -> value.toString()
        is Number -> NDArraySummary.formatNumber(value.toDouble(), integer = false)
        else -> value.toString()
    }
}
