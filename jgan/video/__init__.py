"""Video prediction: Mathieu, Couprie and LeCun 2016, "Deep multi-scale video prediction beyond mean square error"
(arXiv:1511.05440). config.py (the run's fields), nets.py (multi-scale generator and discriminator), losses.py
(l_p, GDL, adversarial), steps.py (the training step), experiment.py (`loop.Experiment`), evaluate.py (PSNR, SSIM,
sharpness of the 1st and 2nd predicted frames, recursive prediction), cli.py."""
