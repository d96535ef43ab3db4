"""Plot the demo model's training loss: demo_model/train/loss.csv -> demo_model/loss_curve.png.

    .venv/bin/python -m scripts.plot_training   (from the repository root)
"""
import csv

from core.plot import line_plot, save_png

rows = list({int(r["step"]): r for r in csv.DictReader(open("demo_model/train/loss.csv"))}.values())  # last wins
x = [int(r["step"]) for r in rows]
y = [float(r["loss"]) for r in rows]
hours = float(rows[-1]["wall_s"]) / 3600
save_png(line_plot({"eps MSE (mean of 50 steps)": (x, y)},
                   f"demo model training loss ({x[-1]} steps, {hours:.1f} h CPU wall time)", "step", "", log_y=True),
         "demo_model/loss_curve.png")
print("wrote demo_model/loss_curve.png")
