package org.leapformer.jupyter

import org.jetbrains.letsPlot.Figure
import org.jetbrains.letsPlot.awt.plot.PlotSvgExport
import org.jetbrains.letsPlot.intern.toSpec

/** Lets-Plot figures as SVG, since Lets-Plot's own notebook renderer is not available offline. */
object FigureSvg {

    /** The SVG document of [figure]: a plot, a `gggrid` of plots or a `GGBunch`. */
    fun render(figure: Figure): String =
        PlotSvgExport.buildSvgImageFromRawSpecs(figure.toSpec())
}
