"""Dark theme typical of compositing tools: neutral greys, one warm accent, dense text."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["ACCENT", "MASK_COLOUR", "REJECTED_COLOUR", "PROMPT_COLOUR", "CLEANED_COLOUR", "BG", "PANEL", "TEXT", "DIM", "apply_theme", "mono_font"]

BG = "#1b1c1f"
PANEL = "#232529"
RAISED = "#2c2f34"
BORDER = "#3a3d43"
TEXT = "#d8d8d8"
DIM = "#8b8f96"
ACCENT = "#e8962e"  # warm orange, the one highlight colour
MASK_COLOUR = QColor(255, 40, 140)  # magenta reads on skin tones and on grey sets
REJECTED_COLOUR = QColor(40, 220, 255)  # cyan: lines found but left alone (not painted out)
PROMPT_COLOUR = QColor(120, 230, 90)  # green: the artist's puppet prompt boxes
CLEANED_COLOUR = QColor(90, 200, 120)  # timeline: a seam was painted out on the frame
ERROR = "#e0524a"

_QSS = f"""
QWidget {{ color: {TEXT}; font-size: 12px; }}
QMainWindow, QDialog {{ background: {BG}; }}
QDockWidget {{ titlebar-close-icon: none; font-weight: 600; }}
QDockWidget::title {{ background: {PANEL}; padding: 5px 8px; border-bottom: 1px solid {BORDER};
    text-transform: uppercase; }}
QToolBar {{ background: {PANEL}; border: none; border-bottom: 1px solid {BORDER}; spacing: 3px;
    padding: 3px; }}
QToolBar::separator {{ background: {BORDER}; width: 1px; margin: 4px 6px; }}
QToolButton, QPushButton {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 3px;
    padding: 3px 6px; }}
QToolButton:hover, QPushButton:hover {{ border-color: {ACCENT}; }}
QToolButton:checked, QPushButton:checked {{ background: {ACCENT}; color: #161616; border-color: {ACCENT}; }}
QPushButton:disabled, QToolButton:disabled {{ color: #5c6066; }}
QPushButton#primary {{ background: {ACCENT}; color: #161616; font-weight: 600; border-color: {ACCENT}; }}
QPushButton#primary:disabled {{ background: #5b4326; color: #9a8a74; }}
QPushButton#danger:enabled {{ border-color: {ERROR}; color: {ERROR}; }}
QGroupBox {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 4px; margin-top: 14px;
    padding: 8px 6px 6px 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {ACCENT};
    font-weight: 600; }}
QGroupBox::indicator {{ width: 12px; height: 12px; }}
QCheckBox::indicator, QTreeView::indicator {{ width: 12px; height: 12px; border: 1px solid {DIM};
    border-radius: 2px; background: #141518; }}
QCheckBox::indicator:checked, QTreeView::indicator:checked {{ background: {ACCENT}; border: 2px solid #161616; }}
QCheckBox::indicator:hover, QTreeView::indicator:hover {{ border-color: {ACCENT}; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox, QPlainTextEdit, QListWidget, QTreeWidget {{
    background: #141518; border: 1px solid {BORDER}; border-radius: 3px; padding: 2px 4px;
    selection-background-color: {ACCENT}; selection-color: #161616; }}
QHeaderView::section {{ background: {PANEL}; border: none; border-right: 1px solid {BORDER};
    padding: 3px 6px; color: {DIM}; }}
QSlider::groove:horizontal {{ height: 4px; background: #3a3d43; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {TEXT}; width: 10px; margin: -5px 0; border-radius: 5px; }}
QProgressBar {{ background: #141518; border: 1px solid {BORDER}; border-radius: 3px; height: 14px;
    text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 2px; }}
QTabBar::tab {{ background: {PANEL}; padding: 5px 12px; border: 1px solid {BORDER}; border-bottom: none; }}
QTabBar::tab:selected {{ background: {RAISED}; color: {ACCENT}; }}
QStatusBar {{ background: {PANEL}; color: {DIM}; border-top: 1px solid {BORDER}; }}
QLabel#header {{ color: {TEXT}; font-size: 12px; }}
QLabel#dim {{ color: {DIM}; }}
QLabel#banner {{ background: #4a1f1d; color: #ffd9d6; border: 1px solid {ERROR}; border-radius: 3px;
    padding: 5px 8px; }}
QScrollArea {{ border: none; background: transparent; }}
QToolTip {{ background: {RAISED}; color: {TEXT}; border: 1px solid {BORDER}; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style, dark palette and the stylesheet above."""
    app.setStyle("Fusion")
    pal = QPalette()
    for role, colour in (
        (QPalette.Window, BG), (QPalette.WindowText, TEXT), (QPalette.Base, "#141518"),
        (QPalette.AlternateBase, PANEL), (QPalette.Text, TEXT), (QPalette.Button, RAISED),
        (QPalette.ButtonText, TEXT), (QPalette.Highlight, ACCENT), (QPalette.HighlightedText, "#161616"),
        (QPalette.ToolTipBase, RAISED), (QPalette.ToolTipText, TEXT), (QPalette.PlaceholderText, DIM),
    ):  # fmt: skip
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.Disabled, QPalette.Text, QColor("#5c6066"))
    pal.setColor(QPalette.Disabled, QPalette.ButtonText, QColor("#5c6066"))
    app.setPalette(pal)
    app.setStyleSheet(_QSS)


def mono_font(size: int = 11) -> QFont:
    """A fixed-width font for numbers and reports."""
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.Monospace)
    font.setPointSize(size)
    return font
