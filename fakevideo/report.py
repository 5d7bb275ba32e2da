"""`python -m fakevideo.report SWEEP_DIR`, the documented command; the report lives in
`fakevideo.evaluation.report`."""

from fakevideo.evaluation.report import main

if __name__ == "__main__":
    main()
