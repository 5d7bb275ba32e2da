"""Losses shared by every GAN recipe."""
