#include "sim/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"

namespace sim {
namespace {

constexpr int kLeft = 80;
constexpr int kRight = 160;  // room for the legend
constexpr int kTitleTop = 50;
constexpr int kMarkerLabels = 70;  // extra room above the panels for marker labels
constexpr int kGap = 36;
constexpr int kBottom = 50;
constexpr double kLogFloor = 1e-12;

const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                "#ff7f0e", "#17becf", "#8c564b", "#e377c2"};

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

double Transform(const PlotPanel& panel, double y) {
  if (!panel.log_y) return y;
  return std::log10(std::max(std::fabs(y), kLogFloor));
}

std::string TickLabel(const PlotPanel& panel, double v) {
  if (panel.log_y) return absl::StrFormat("1e%d", static_cast<int>(std::lround(v)));
  if (std::fabs(v) < 1e-15) return "0";
  return absl::StrFormat("%g", v);
}

// Keeps the first point, then min and max of each pixel column, in order.
std::vector<std::pair<double, double>> Reduce(const std::vector<std::pair<double, double>>& pts,
                                              double x0, double x1, int columns) {
  if (static_cast<int>(pts.size()) <= 2 * columns || x1 <= x0) return pts;
  std::vector<std::pair<double, double>> out;
  int current = -1;
  std::pair<double, double> lo, hi;
  auto flush = [&] {
    if (current < 0) return;
    if (lo.first <= hi.first) {
      out.push_back(lo);
      if (hi != lo) out.push_back(hi);
    } else {
      out.push_back(hi);
      out.push_back(lo);
    }
  };
  for (const auto& p : pts) {
    if (!std::isfinite(p.second)) continue;
    const int column = static_cast<int>((p.first - x0) / (x1 - x0) * (columns - 1));
    if (column != current) {
      flush();
      current = column;
      lo = hi = p;
      continue;
    }
    if (p.second < lo.second) lo = p;
    if (p.second > hi.second) hi = p;
  }
  flush();
  return out;
}

}  // namespace

std::vector<double> NiceTicks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  // Integer multiples of the step (no accumulated rounding).
  const int64_t first = static_cast<int64_t>(std::ceil(lo / step - 1e-9));
  const int64_t last = static_cast<int64_t>(std::floor(hi / step + 1e-9));
  for (int64_t k = first; k <= last && ticks.size() < 1000; ++k) {
    ticks.push_back(static_cast<double>(k) * step);
  }
  return ticks;
}

std::string RenderSvg(const Plot& plot, int width, int panel_height) {
  const int n = static_cast<int>(plot.panels.size());
  const int top_margin = kTitleTop + (plot.markers.empty() ? 0 : kMarkerLabels);
  const int height = top_margin + n * panel_height + std::max(0, n - 1) * kGap + kBottom;
  const int plot_w = width - kLeft - kRight;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0;
  for (const PlotPanel& panel : plot.panels) {
    for (const PlotSeries& s : panel.series) {
      for (const auto& p : s.points) {
        x0 = std::min(x0, p.first);
        x1 = std::max(x1, p.first);
      }
    }
  }
  if (!(x1 > x0)) {
    x0 = 0;
    x1 = 1;
  }
  auto px = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * plot_w; };
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n",
      width, height, width, height, kLeft, Escape(plot.title));
  for (int i = 0; i < n; ++i) {
    const PlotPanel& panel = plot.panels[i];
    const int top = top_margin + i * (panel_height + kGap);
    const int bottom = top + panel_height;
    double y0 = std::numeric_limits<double>::infinity(), y1 = -y0;
    for (const PlotSeries& s : panel.series) {
      for (const auto& p : s.points) {
        if (!std::isfinite(p.second)) continue;
        const double y = Transform(panel, p.second);
        y0 = std::min(y0, y);
        y1 = std::max(y1, y);
      }
    }
    if (!std::isfinite(y0)) {
      y0 = -1;
      y1 = 1;
    } else if (y1 - y0 < 1e-300 || y1 - y0 < 1e-9 * std::max(std::fabs(y0), std::fabs(y1))) {
      const double pad = std::max(std::fabs(y0) * 0.1, panel.log_y ? 1.0 : 1e-9);
      y0 -= pad;
      y1 += pad;
    } else {
      const double pad = (y1 - y0) * 0.05;
      y0 -= pad;
      y1 += pad;
    }
    auto py = [&](double y) { return bottom - (y - y0) / (y1 - y0) * panel_height; };
    absl::StrAppendFormat(&svg, "<g>\n<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n",
                          kLeft, top - 8, Escape(panel.title));
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                          "stroke=\"#444\"/>\n",
                          kLeft, top, plot_w, panel_height);
    std::vector<double> yticks = NiceTicks(y0, y1, 5);
    if (panel.log_y) {
      yticks.clear();
      for (double t = std::ceil(y0); t <= y1; t += std::max(1.0, std::ceil((y1 - y0) / 6))) {
        yticks.push_back(t);
      }
    }
    for (double t : yticks) {
      absl::StrAppendFormat(&svg,
                            "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                            kLeft, kLeft + plot_w, py(t), py(t), kLeft - 5, py(t) + 4,
                            TickLabel(panel, t));
    }
    for (double t : NiceTicks(x0, x1, 8)) {
      absl::StrAppendFormat(&svg,
                            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>",
                            px(t), px(t), top, bottom);
      if (i == n - 1) {
        absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>",
                              px(t), bottom + 15, t);
      }
    }
    svg += "\n";
    if (!panel.log_y && y0 < 0 && y1 > 0) {
      absl::StrAppendFormat(&svg,
                            "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n",
                            kLeft, kLeft + plot_w, py(0), py(0));
    }
    absl::StrAppendFormat(&svg,
                          "<clipPath id=\"clip%d\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
                          "height=\"%d\"/></clipPath>\n<g clip-path=\"url(#clip%d)\">\n",
                          i, kLeft, top, plot_w, panel_height, i);
    for (const PlotSeries& s : panel.series) {
      std::string points;
      for (const auto& p : Reduce(s.points, x0, x1, plot_w)) {
        if (!std::isfinite(p.second)) continue;
        absl::StrAppendFormat(&points, "%.1f,%.1f ", px(p.first), py(Transform(panel, p.second)));
      }
      absl::StrAppendFormat(&svg,
                            "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\"%s "
                            "points=\"%s\"/>\n",
                            s.color, s.dashed ? " stroke-dasharray=\"5,3\"" : "", points);
    }
    for (const PlotMarker& m : plot.markers) {
      absl::StrAppendFormat(&svg,
                            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
                            "stroke-dasharray=\"2,2\"/>\n",
                            px(m.x), px(m.x), top, bottom, m.color);
    }
    svg += "</g>\n";
    for (size_t k = 0; k < panel.series.size(); ++k) {
      const PlotSeries& s = panel.series[k];
      const int ly = top + 12 + static_cast<int>(k) * 14;
      absl::StrAppendFormat(&svg,
                            "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
                            "stroke-width=\"2\"%s/><text x=\"%d\" y=\"%d\">%s</text>\n",
                            kLeft + plot_w + 8, kLeft + plot_w + 28, ly - 4, ly - 4, s.color,
                            s.dashed ? " stroke-dasharray=\"5,3\"" : "", kLeft + plot_w + 32,
                            ly, Escape(s.label));
    }
    svg += "</g>\n";
  }
  // Marker labels above the first panel, slanted, with a tick down to it.
  for (const PlotMarker& m : plot.markers) {
    const int y = top_margin - 22;
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\"/>"
                          "<text x=\"%.1f\" y=\"%d\" fill=\"%s\" font-size=\"9\" "
                          "transform=\"rotate(-40 %.1f %d)\">%s</text>\n",
                          px(m.x), px(m.x), y, y + 8, m.color, px(m.x) + 2, y, m.color,
                          px(m.x) + 2, y, Escape(m.label));
  }
  absl::StrAppendFormat(&svg, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                        kLeft + plot_w / 2, height - 12, Escape(plot.x_label));
  svg += "</svg>\n";
  return svg;
}

Plot RunPlot(const std::string& scenario_name, const RunResult& run, int max_hosts) {
  Plot plot;
  plot.title = absl::StrCat(scenario_name, " (seed ", run.seed, ")");
  const bool hours = run.simulated_s > 4 * 3600;
  const double scale = hours ? 1.0 / 3600 : 1.0;
  plot.x_label = hours ? "true time (h)" : "true time (s)";
  PlotPanel offset{"offset: clock - true time (s); dashed: host's estimate", false, {}};
  PlotPanel log_offset{"|clock - true time| (s, log scale)", true, {}};
  PlotPanel freq{"clock frequency error (ppm)", false, {}};
  PlotPanel correction{"frequency correction (ppm); dashed: -oscillator error", false, {}};
  const int hosts = std::min(static_cast<int>(run.series.size()), max_hosts);
  for (int h = 0; h < hosts; ++h) {
    const HostSeries& s = run.series[h];
    const std::string color = kPalette[h % 8];
    PlotSeries truth{s.name, color, false, {}}, estimate{s.name + " est.", color, true, {}};
    PlotSeries magnitude{s.name, color, false, {}}, f{s.name, color, false, {}};
    PlotSeries corr{s.name, color, false, {}}, osc{s.name + " -osc", color, true, {}};
    for (const SeriesPoint& p : s.points) {
      const double x = p.t_s * scale;
      truth.points.push_back({x, p.true_offset_s});
      estimate.points.push_back({x, p.est_offset_s});
      magnitude.points.push_back({x, p.true_offset_s});
      f.points.push_back({x, p.true_freq_ppm});
      corr.points.push_back({x, p.freq_corr_ppm});
      osc.points.push_back({x, -p.osc_freq_ppm});
    }
    offset.series.push_back(std::move(truth));
    offset.series.push_back(std::move(estimate));
    log_offset.series.push_back(std::move(magnitude));
    freq.series.push_back(std::move(f));
    correction.series.push_back(std::move(corr));
    correction.series.push_back(std::move(osc));
    for (const HostEvent& e : s.events) {
      std::string color;
      if (e.kind == "clock_step") color = "#d62728";
      if (e.kind == "panic" || e.kind == "exit") color = "#000000";
      if (e.kind == "kod") color = "#ff7f0e";
      if (e.kind == "leap_second") color = "#9467bd";
      if (color.empty()) continue;
      plot.markers.push_back({e.t_s * scale, color, absl::StrCat(e.kind, " ", s.name)});
    }
  }
  for (const auto& [t, description] : run.faults) {
    plot.markers.push_back({t * scale, "#7f7f7f", description});
  }
  plot.panels = {std::move(offset), std::move(log_offset), std::move(freq),
                 std::move(correction)};
  return plot;
}

}  // namespace sim
