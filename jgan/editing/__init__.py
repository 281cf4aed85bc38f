"""Editing on the learned manifold (Zhu et al. 2016, iGAN): projecting real images into a trained generator
(`projection`: optimisation, `encoder`, hybrid) and editing them under colour and sketch strokes (`constraints`).

    python -m jgan.edit project --checkpoint RUN_DIR --image digit.png --out DIR
    python -m jgan.edit apply --checkpoint RUN_DIR --image digit.png --color-strokes c.png \\
        --edge-strokes e.png --out DIR
"""
