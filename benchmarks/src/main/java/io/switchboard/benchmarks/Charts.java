package io.switchboard.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Line charts drawn with the JDK alone (headless AWT and ImageIO), so that the benchmarks need no
 * charting library: panels side by side, each with one line per series over the same categorical
 * x values. The y axis starts at zero, or is logarithmic (decades) when the values span more than
 * 50x, so that series a hundred times apart stay readable. A missing point ({@code NaN}) breaks
 * its line.
 */
final class Charts {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
        new Color(0xff7f0e)};
    private static final int PANEL_W = 520;
    private static final int PANEL_H = 380;
    private static final int LEFT = 78;
    private static final int RIGHT = 20;
    private static final int TOP = 58;
    private static final int BOTTOM = 58;

    /** One panel: its title, its y axis label and a y value per x value for each series. */
    record Panel(String title, String yLabel, Map<String, double[]> series) {
    }

    private Charts() {
    }

    /** Writes a PNG with the panels side by side under one title. */
    static void write(Path file, String title, String xLabel, List<String> xValues, List<Panel> panels) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int width = PANEL_W * panels.size();
        int height = PANEL_H + 30;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, 12, 22);
            for (int i = 0; i < panels.size(); i++) {
                drawPanel(g, i * PANEL_W, 30, panels.get(i), xLabel, xValues);
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(img, "png", file.toFile());
    }

    private static void drawPanel(Graphics2D g, int x0, int y0, Panel p, String xLabel, List<String> xValues) {
        int plotW = PANEL_W - LEFT - RIGHT;
        int plotH = PANEL_H - TOP - BOTTOM;
        int px = x0 + LEFT;
        int py = y0 + TOP;
        double max = 0;
        double min = Double.MAX_VALUE;
        for (double[] ys : p.series().values()) {
            for (double y : ys) {
                if (!Double.isNaN(y)) {
                    max = Math.max(max, y);
                    if (y > 0) {
                        min = Math.min(min, y);
                    }
                }
            }
        }
        boolean log = min != Double.MAX_VALUE && max / min > 50;
        double lo = log ? Math.pow(10, Math.floor(Math.log10(min))) : 0;
        double hi = log ? Math.pow(10, Math.ceil(Math.log10(max))) : niceCeiling(max);
        Scale scale = new Scale(log, lo, hi, py, plotH);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.setColor(Color.BLACK);
        g.drawString(p.title(), x0 + 12, y0 + 18);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        List<Double> ticks = new java.util.ArrayList<>();
        if (log) {
            for (double v = lo; v <= hi * 1.0001; v *= 10) {
                ticks.add(v);
            }
        } else {
            for (int t = 0; t <= 5; t++) {
                ticks.add(hi * t / 5);
            }
        }
        for (double v : ticks) {
            int y = scale.y(v);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(px, y, px + plotW, y);
            g.setColor(Color.DARK_GRAY);
            String label = format(v);
            g.drawString(label, px - 6 - fm.stringWidth(label), y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(px, py, plotW, plotH);
        int n = xValues.size();
        for (int i = 0; i < n; i++) {
            int x = xAt(px, plotW, n, i);
            String label = xValues.get(i);
            g.drawLine(x, py + plotH, x, py + plotH + 4);
            g.drawString(label, x - fm.stringWidth(label) / 2, py + plotH + 17);
        }
        g.drawString(xLabel, px + plotW / 2 - fm.stringWidth(xLabel) / 2, py + plotH + 36);
        g.drawString(p.yLabel() + (log ? " (log scale)" : ""), x0 + 12, y0 + 38);
        int s = 0;
        int legendY = py + 14;
        for (Map.Entry<String, double[]> e : p.series().entrySet()) {
            Color c = COLORS[s++ % COLORS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            double[] ys = e.getValue();
            Integer lastX = null;
            Integer lastY = null;
            for (int i = 0; i < Math.min(n, ys.length); i++) {
                if (Double.isNaN(ys[i])) {
                    lastX = null;
                    continue;
                }
                int x = xAt(px, plotW, n, i);
                int y = scale.y(ys[i]);
                g.fillOval(x - 3, y - 3, 7, 7);
                if (lastX != null) {
                    g.drawLine(lastX, lastY, x, y);
                }
                lastX = x;
                lastY = y;
            }
            g.setStroke(new BasicStroke(1f));
            g.fillRect(px + 10, legendY - 8, 14, 3);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), px + 30, legendY - 3);
            legendY += 15;
        }
    }

    /** Maps a value to a pixel row: linear from zero, or by decades. */
    private record Scale(boolean log, double lo, double hi, int top, int height) {
        int y(double v) {
            double f = log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : v / hi;
            return top + height - (int) Math.round(height * f);
        }
    }

    private static int xAt(int px, int plotW, int n, int i) {
        return n == 1 ? px + plotW / 2 : px + 30 + (int) Math.round((plotW - 60) * (double) i / (n - 1));
    }

    /** The smallest 1, 2 or 5 times a power of ten that is at least {@code v} (1 for zero). */
    private static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String format(double v) {
        if (v >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        }
        if (v >= 10_000) {
            return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        }
        if (v >= 100 || v == 0) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return v >= 1 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2g", v);
    }
}
