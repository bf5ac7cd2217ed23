"""Gluing two elliptical sheets (``book/ellipse.md``), after https://kexue.fm/archives/6818.

* ``arc`` -- the quarter ellipse by arc length (``EllipseArc``, elliptic integrals inverted
  by Newton's method), quarter perimeters, end curvatures, the size checks and the
  gluing criterion ``c(s)``;
* ``gluing`` -- the glued solid (``glue``, ``glue_pair``, ``solve_glue``: seam, length and
  volume by Gauss-Legendre quadrature) and which pairs of shapes glue (``gluability_map``);
* ``tabulation`` -- the article's tabulation scheme, re-created for comparison;
* ``experiments`` -- the tabulation timed against the elliptic integrals, its errors over
  grid steps, and the recorded run ``ellipse/tabulation``;
* ``figures`` -- the matplotlib figures and the plotly solid and criterion figures;
* ``widgets`` -- the kernel-free explorers and the live widgets.
"""
