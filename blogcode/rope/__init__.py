"""The shape of a rotating rope (``book/rope.md``), after https://kexue.fm/archives/6784.

* ``solver`` -- the public API: ``solve_rope``, ``rope_equilibria``, ``published_rope``
  (the article's computation), ``skipping_rope``, ``shown_equilibria`` and the re-exports below;
* ``curves`` -- the ``Rope`` result type, argument checks, Chebyshev interpolant, energy
  and the independent equilibrium check (``equilibrium_residuals``);
* ``closed_forms`` -- the catenary, the troposkien and the critical speeds of a hanging chain;
* ``free_end`` -- one end tied, the other free: shooting back from every trial end;
* ``fixed_ends`` -- both ends tied, given length: ``solve_bvp`` with the tension constant
  as unknown, polished by shooting;
* ``experiments`` -- the chapter's measurements: the article's residuals, the bifurcation
  scan, the family in ``omega``, the skipping rope at several speeds;
* ``figures`` -- the plotly figure of one solution and the chapter's matplotlib figures;
* ``widgets`` -- the kernel-free ``omega`` explorers and the live widget.
"""
