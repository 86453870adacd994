"""Checks that a carecircle project.qgs *draws* in real QGIS (issue 14), not only that it loads.

check_project(path, png) reads the project and returns a list of problems (empty: it draws):
  - every layer-tree node resolves to a valid map layer (QGIS replaces layer ids of 10 characters
    or fewer when it reads a project, so the tree entry would point at nothing);
  - every layer's extent, transformed from the CRS the layer is declared in to the project CRS,
    lies inside the project's default view extent (a layer declared in the wrong CRS lands far away);
  - the project, rendered headless with QgsMapSettings at the project extent, is saved to @png;
  - each vector layer rendered alone draws non-background pixels where its features are: a sample of
    the features the renderer would draw, each mapped to the pixel of a point on it, must find
    drawn pixels within a few pixels around it; each raster layer alone draws something;
  - a pseudocolour raster draws the band marked as the headline's (capable care) and, rendered
    alone on its own grid, gives every cell the colour of its value's class;
  - symbols: no hospital drawn with the 'cross2' (x) marker, uncovered demand not drawn as one
    fixed-size marker per cell, township fills semi-transparent with an outline.
"""
import os
import re
import xml.etree.ElementTree as ET

from qgis.core import (QgsCoordinateTransform, QgsFeatureRequest, QgsMapRendererSequentialJob, QgsMapSettings,
                       QgsPointXY, QgsProject, QgsRectangle, QgsRenderContext, QgsUnitTypes, QgsVectorLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

W = 900  # image width in pixels; height from the extent's aspect ratio


def project_extent(path, prj):
    """The project's default view extent (<ProjectViewSettings><DefaultViewExtent>), else the
    map canvas extent stored in the file."""
    e = prj.viewSettings().defaultViewExtent()
    if e is not None and not e.isEmpty():
        return QgsRectangle(e)
    root = ET.parse(path).getroot()
    x = root.find("mapcanvas/extent")
    if x is None:
        return None
    return QgsRectangle(*(float(x.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")))


def settings(prj, extent, layers):
    ms = QgsMapSettings()
    ms.setDestinationCrs(prj.crs())
    ms.setTransformContext(prj.transformContext())
    ms.setLayers(layers)
    h = max(100, int(round(W * extent.height() / max(extent.width(), 1e-9))))
    ms.setOutputSize(QSize(W, min(h, 3 * W)))
    ms.setExtent(extent)
    ms.setBackgroundColor(QColor(255, 255, 255))
    ms.setOutputDpi(96)
    return ms


def render(ms):
    job = QgsMapRendererSequentialJob(ms)
    job.start()
    job.waitForFinished()
    return job.renderedImage()


def drawn(img, x, y, r):
    """Any non-white pixel within r pixels of (x, y)?"""
    w, h = img.width(), img.height()
    for yy in range(max(0, y - r), min(h, y + r + 1)):
        for xx in range(max(0, x - r), min(w, x + r + 1)):
            if img.pixel(xx, yy) & 0xFFFFFF != 0xFFFFFF:
                return True
    return False


def count_drawn(img):
    n = 0
    for y in range(0, img.height(), 2):
        for x in range(0, img.width(), 2):
            if img.pixel(x, y) & 0xFFFFFF != 0xFFFFFF:
                n += 1
    return n


def symbol_problems(layer_id, vl, xml_layers):
    """Symbols people cannot read (see the module docstring)."""
    out = []
    ml = xml_layers.get(layer_id, "")
    name = vl.source().split("layername=")[-1]
    r = vl.renderer()
    if name in ("facilities", "existing_facilities") and 'v="cross2"' in ml:
        out.append(f"{name}: drawn with the 'cross2' (x) marker")
    if name == "demand_uncovered" and vl.featureCount() > 1000:
        if r.type() == "categorizedSymbol" or r.type() == "singleSymbol":
            cats = r.categories() if r.type() == "categorizedSymbol" else []  # kept alive while their symbols are read
            syms = [c.symbol() for c in cats] if cats else [r.symbol()]
            if any(s.sizeUnit() != QgsUnitTypes.RenderMapUnits for s in syms if hasattr(s, "sizeUnit")):
                out.append(f"{name}: {vl.featureCount()} features drawn as one fixed-size marker each ({r.type()})")
    if name == "coverage_by_admin":
        ranges = r.ranges() if r.type() == "graduatedSymbol" else []
        for s in [x.symbol() for x in ranges] if ranges else r.symbols(QgsRenderContext()):
            fills = [sl for sl in s.symbolLayers() if sl.properties().get("style", "solid") != "no"]
            if any(s.opacity() * sl.color().alpha() / 255 > 0.6 for sl in fills):
                out.append(f"{name}: nearly opaque township fill (opacity {s.opacity()}, hides what lies under it)")
                break
            if not any(sl.properties().get("outline_style", "solid") != "no" for sl in s.symbolLayers()):
                out.append(f"{name}: township fill without an outline")
                break
    return out


def raster_problems(lyr):
    """A single-band pseudocolour raster as people see it: the band drawn is the one the run marked
    CARECIRCLE_HEADLINE=YES (capable care, what the map shows) when there is one, and rendered alone
    at its own grid (one pixel per cell, its own CRS) every cell with data has the colour of its
    value's class (over white, at the layer's opacity)."""
    import numpy as np
    from osgeo import gdal
    from qgis.PyQt.QtGui import QImage
    r = lyr.renderer()
    if r.type() != "singlebandpseudocolor":
        return []
    ds = gdal.Open(lyr.source())
    if ds is None:
        return [f"raster '{lyr.name()}': GDAL cannot open {lyr.source()}"]
    out = []
    marked = [b for b in range(1, ds.RasterCount + 1) if ds.GetRasterBand(b).GetMetadataItem("CARECIRCLE_HEADLINE") == "YES"]
    if marked and r.band() != marked[0]:
        out.append(f"raster '{lyr.name()}' draws band {r.band()} ({ds.GetRasterBand(r.band()).GetDescription()}), "
                   f"not the headline's band {marked[0]} ({ds.GetRasterBand(marked[0]).GetDescription()})")
    w, h = ds.RasterXSize, ds.RasterYSize
    if w * h > 8_000_000:
        return out
    ms = QgsMapSettings()
    ms.setDestinationCrs(lyr.crs())
    ms.setLayers([lyr])
    ms.setOutputSize(QSize(w, h))
    ms.setExtent(lyr.extent())
    ms.setBackgroundColor(QColor(255, 255, 255))
    ms.setOutputDpi(96)
    img = render(ms).convertToFormat(QImage.Format_RGB32)
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    px = np.frombuffer(ptr, np.uint8).reshape(h, img.bytesPerLine())[:, :w * 4].reshape(h, w, 4)[:, :, 2::-1].astype(int)
    band = ds.GetRasterBand(r.band())
    a = band.ReadAsArray().astype(float)
    nd = band.GetNoDataValue()
    items = r.shader().rasterShaderFunction().colorRampItemList()
    cols = np.array([[i.color.red(), i.color.green(), i.color.blue()] for i in items], float)
    cls = np.searchsorted(np.array([i.value for i in items]), a, side="left")  # first class with value <= its bound
    data = (a != nd) & np.isfinite(a) & (cls < len(items))
    want = r.opacity() * cols[np.minimum(cls, len(items) - 1)] + (1 - r.opacity()) * 255
    wrong = data & (np.abs(px - want).max(axis=2) > 3)
    if data.sum() == 0:
        out.append(f"raster '{lyr.name()}': no cell with data")
    elif wrong.sum() > 0.001 * data.sum():
        y, x = np.argwhere(wrong)[0]
        out.append(f"raster '{lyr.name()}': {int(wrong.sum())} of {int(data.sum())} cells drawn in another colour than their class "
                   f"(first: cell {x},{y} value {a[y, x]:.2f} drawn {tuple(px[y, x])}, class colour {tuple(np.round(want[y, x]))})")
    return out


def check_project(path, png, sample=200, radius=4):
    problems = []
    prj = QgsProject.instance()
    prj.clear()
    if not prj.read(path):
        return [f"QGIS cannot read {path}: {prj.error()}"]
    tree = prj.layerTreeRoot().findLayers()
    if not tree:
        problems.append("empty layer tree")
    for node in tree:
        lyr = node.layer()
        if lyr is None:
            problems.append(f"layer-tree entry '{node.name()}' (id {node.layerId()}) resolves to no layer")
        elif not lyr.isValid():
            problems.append(f"layer '{lyr.name()}' is not valid (source {lyr.source()})")
    ext = project_extent(path, prj)
    if ext is None or ext.isEmpty():
        return problems + ["project has no extent"]
    tol = 1e-6 * max(ext.width(), ext.height())
    grown = QgsRectangle(ext.xMinimum() - tol, ext.yMinimum() - tol, ext.xMaximum() + tol, ext.yMaximum() + tol)
    xml_layers = {}
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"<maplayer .*?</maplayer>", text, re.S):
        i = re.search(r"<id>(.*?)</id>", m.group(0))
        if i:
            xml_layers[i.group(1)] = m.group(0)
    layers = [n.layer() for n in tree if n.layer() is not None and n.layer().isValid()]
    for lyr in layers:
        ct = QgsCoordinateTransform(lyr.crs(), prj.crs(), prj)
        try:
            le = ct.transformBoundingBox(lyr.extent())
        except Exception as e:  # noqa: BLE001 (QgsCsException: a layer that cannot be placed at all)
            problems.append(f"layer '{lyr.name()}': extent cannot be transformed to the project CRS ({e})")
            continue
        if lyr.extent().isEmpty():
            continue
        if isinstance(lyr, QgsVectorLayer) and lyr.fields().indexOf("snapped") >= 0:
            # facilities off the road network (snapped = 0, warned about at run time: often bad
            # coordinates, thousands of km away) need not be in view
            e = QgsRectangle()
            e.setMinimal()
            for f in lyr.getFeatures(QgsFeatureRequest().setFilterExpression('"snapped" <> 0')):
                if f.hasGeometry():
                    e.combineExtentWith(f.geometry().boundingBox())
            if e.isEmpty() and e.width() < 0:
                continue
            le = ct.transformBoundingBox(e)
        if not grown.contains(le):
            problems.append(f"layer '{lyr.name()}' ({lyr.crs().authid()}) extent {le.toString(1)} is outside the project extent "
                            f"{ext.toString(1)}")
    # the whole project as people see it (visible layers, tree order)
    visible = [n.layer() for n in tree if n.layer() is not None and n.layer().isValid() and n.isVisible()]
    img = render(settings(prj, ext, visible))
    img.save(png)
    if count_drawn(img) == 0:
        problems.append("the project renders blank")
    # each layer alone
    for lyr in layers:
        ms = settings(prj, ext, [lyr])
        img = render(ms)
        if not isinstance(lyr, QgsVectorLayer):
            if count_drawn(img) == 0:
                problems.append(f"raster '{lyr.name()}' draws nothing")
            problems += raster_problems(lyr)
            continue
        problems += symbol_problems(lyr.id(), lyr, xml_layers)
        if lyr.featureCount() == 0:
            continue
        ctx = QgsRenderContext.fromMapSettings(ms)
        r = lyr.renderer().clone()
        r.startRender(ctx, lyr.fields())
        ct = QgsCoordinateTransform(lyr.crs(), prj.crs(), prj)
        m2p = ms.mapToPixel()
        step = max(1, lyr.featureCount() // sample)
        tried = hit = 0
        for i, f in enumerate(lyr.getFeatures(QgsFeatureRequest())):
            if i % step or not f.hasGeometry() or not r.willRenderFeature(f, ctx):
                continue
            g = f.geometry()
            try:
                g.transform(ct)
            except Exception:  # noqa: BLE001
                tried += 1
                continue
            # where the feature must show: a point on it; for polygons also a vertex of the outline
            # (outline-only styles draw nothing inside)
            pts = []
            if g.type() == 2:
                pts = [g.pointOnSurface().asPoint(), QgsPointXY(g.vertexAt(0))]
            elif g.type() == 1:
                pts = [QgsPointXY(g.vertexAt(0))]
            else:
                pts = [g.centroid().asPoint()]
            tried += 1
            for pt in pts:
                px = m2p.transform(pt)
                if 0 <= px.x() < img.width() and 0 <= px.y() < img.height() and drawn(img, int(px.x()), int(px.y()), radius):
                    hit += 1
                    break
        r.stopRender(ctx)
        if tried and hit < 0.9 * tried:
            problems.append(f"layer '{lyr.name()}' rendered alone draws at {hit} of {tried} sampled features")
    prj.clear()
    return problems
