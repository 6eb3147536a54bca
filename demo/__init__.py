"""Demo content for a fictional policy group: text, generated images and the seeding itself.

Everything here is invented for local development, screenshots and benchmarks;
no real organisation, person or photograph is represented.
"""
