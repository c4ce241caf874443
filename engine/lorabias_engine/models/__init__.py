"""Model families (tiny, sd15, sdxl), loading from files, and the cache that keeps models loaded."""
