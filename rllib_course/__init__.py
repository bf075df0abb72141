"""rllib_course: what the lessons of "RLlib from the inside" use and the environment does not.

The quiet Ray start (``ray_start``), the course's PPO config (``training``), scaling and cluster
helpers, the source viewer, the lessons' figures and the exercise checks. It builds on
``commenv`` (the environment, which never imports this package) and on RLlib. Import the module
you need: this package imports nothing on its own, so ``import rllib_course`` stays cheap.
"""
