"""`python -m fakevideo.evaluate_swap SWAPPED SOURCE TARGET [--out DIR]`, the documented command; the evaluation
lives in `fakevideo.evaluation.swap`."""

from fakevideo.evaluation.swap import main

if __name__ == "__main__":
    main()
